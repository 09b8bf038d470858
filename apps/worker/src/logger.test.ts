import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from './logger';

function tempLog(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'baaaht-log-')), 'sub', 'worker.log');
}

describe('createLogger', () => {
  it('writes JSON lines to a file with bound ids and 12-character container ids', () => {
    const file = tempLog();
    const logger = createLogger({ level: 'debug', format: 'json', output: file, base: { worker: 'w1' } });
    logger
      .child({ taskId: 't1', tool: 'grep' })
      .info('task completed', { containerId: '0123456789abcdef0123', durationMs: 5 });
    logger.trace('hidden');
    logger.flush();
    const lines = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'task completed',
      worker: 'w1',
      taskId: 't1',
      tool: 'grep',
      containerId: '0123456789ab',
      durationMs: 5,
    });
    expect(typeof lines[0].time).toBe('string');
  });

  it('writes readable text lines with error stacks', () => {
    const file = tempLog();
    const logger = createLogger({ format: 'text', output: file });
    logger.error('drain failed', { err: new Error('boom') });
    logger.flush();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/^\S+ ERROR drain failed err=boom\n {4}Error: boom\n/);
  });
});
