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

  it("writes each key once: a line's own field replaces a bound one, in the base, a child and a grandchild", () => {
    const file = tempLog();
    const logger = createLogger({ format: 'json', output: file, base: { component: 'orchestrator', worker: 'w1' } });
    logger.info('hub listening', { component: 'hub' });
    logger.child({ component: 'worker' }).info('ready');
    logger.child({ component: 'worker' }).child({ component: 'task', taskId: 't1' }).warn('slow', { taskId: 't2' });
    logger.info('plain');
    logger.flush();
    const raw = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(raw).toHaveLength(4);
    for (const line of raw) {
      const keys = [...line.matchAll(/"([^"]+)":/g)].map((m) => m[1]);
      expect(keys).toEqual([...new Set(keys)]);
    }
    const parsed = raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => l['component'])).toEqual(['hub', 'worker', 'task', 'orchestrator']);
    expect(parsed[2]).toMatchObject({ taskId: 't2', worker: 'w1' });
  });
});
