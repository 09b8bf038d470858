import { PassThrough } from 'node:stream';
import type { CliIo } from './cli-io';
import { runMain } from './cli-main';
import { WorkerCliError, usageError } from './errors';

function io(): { io: CliIo; stderr: () => string } {
  const err = new PassThrough();
  let text = '';
  err.on('data', (d: Buffer) => (text += d.toString()));
  return { io: { stdout: new PassThrough(), stderr: err, env: {}, signals: process }, stderr: () => text };
}

describe('runMain', () => {
  it('passes the command exit code through', async () => {
    const t = io();
    expect(await runMain('worker', [], t.io, async () => 0)).toBe(0);
    expect(t.stderr()).toBe('');
  });

  it('prints a usage error as one line and exits 2', async () => {
    const t = io();
    const code = await runMain('worker', [], t.io, async () => {
      throw usageError('bad thing', '--flag');
    });
    expect(code).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(t.stderr()).toBe('worker: --flag: bad thing\n');
  });

  it('prints operational errors as one line with exit 1', async () => {
    const t = io();
    const code = await runMain('worker', [], t.io, async () => {
      throw new WorkerCliError('DOCKER_UNAVAILABLE', 'no engine');
    });
    expect(code).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(t.stderr()).toBe('worker: no engine\n');
  });

  it('calls anything else a bug and prints its stack, exit 1', async () => {
    const t = io();
    const code = await runMain('worker', [], t.io, async () => {
      throw new TypeError('undefined is not a function');
    });
    expect(code).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(t.stderr()).toMatch(
      /^worker: internal error: this is a bug, please report it with the output below\nTypeError: undefined is not a function\n {4}at /,
    );
  });
});
