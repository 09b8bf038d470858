import { fileWrite, validateToolCall, WRITE_SCRIPT } from '../index';
import type { FileWriteParams } from '../index';
import { ctx, validParams, fakeRunner, HOSTILE, ok } from '../../test/fake-runner';

const write = (params: Partial<FileWriteParams> & { path: string; content: string }) =>
  validateToolCall('file_write', params);

const validated = (params: Partial<FileWriteParams> & { path: string; content: string }): FileWriteParams =>
  validParams<FileWriteParams>('file_write', params);

describe('file_write', () => {
  it('applies defaults', () => {
    expect(validated({ path: 'a.txt', content: 'x' })).toEqual({
      path: 'a.txt',
      content: 'x',
      create_dirs: true,
      fail_if_exists: false,
    });
  });

  it('creates the parent directory, then writes via stdin only', async () => {
    const content = '$(rm -rf /)\n`id`; echo pwned\n-rf --';
    const { exec, commands } = fakeRunner(ok(), ok(content));
    const outcome = await fileWrite.run!(validated({ path: 'src/new/a.ts', content }), ctx, exec);
    expect(commands).toEqual([
      { argv: ['mkdir', '-p', '--', '/workspace/src/new'] },
      { argv: ['sh', '-c', WRITE_SCRIPT, 'sh', '/workspace/src/new/a.ts'], stdin: content },
    ]);
    // tee echoes the content; the outcome must not hand it back as output.
    expect(outcome).toEqual({
      exitCode: 0,
      stdout: `wrote ${Buffer.byteLength(content)} bytes to src/new/a.ts\n`,
      stderr: '',
      truncated: false,
    });
  });

  it('skips mkdir at the workspace root and when create_dirs is false', async () => {
    const { exec, commands } = fakeRunner(ok(), ok());
    await fileWrite.run!(validated({ path: 'a', content: 'x' }), ctx, exec);
    await fileWrite.run!(validated({ path: 'd/a', content: 'x', create_dirs: false }), ctx, exec);
    expect(commands.map((c) => c.argv[0])).toEqual(['sh', 'sh']);
  });

  it('checks existence first when fail_if_exists', async () => {
    const exists = fakeRunner(ok());
    const outcome = await fileWrite.run!(
      validated({ path: 'a', content: 'x', fail_if_exists: true }),
      ctx,
      exists.exec,
    );
    expect(exists.commands).toEqual([{ argv: ['test', '-e', '/workspace/a'], successExitCodes: [0, 1] }]);
    expect(outcome.error?.code).toBe('FILE_EXISTS');

    const absent = fakeRunner(ok('', { exitCode: 1 }), ok());
    const written = await fileWrite.run!(
      validated({ path: 'a', content: 'x', fail_if_exists: true }),
      ctx,
      absent.exec,
    );
    expect(written.error).toBeUndefined();
    expect(absent.commands.map((c) => c.argv[0])).toEqual(['test', 'sh']);
  });

  it('reports failed steps with stable codes', async () => {
    const mkdirFails = fakeRunner(ok('', { exitCode: 1, stderr: 'mkdir: Read-only file system' }));
    expect((await fileWrite.run!(validated({ path: 'd/a', content: 'x' }), ctx, mkdirFails.exec)).error?.code).toBe(
      'MKDIR_FAILED',
    );
    const teeFails = fakeRunner(ok('', { exitCode: 1, stderr: 'sh: Read-only file system' }));
    const outcome = await fileWrite.run!(validated({ path: 'a', content: 'x' }), ctx, teeFails.exec);
    expect(outcome).toMatchObject({
      exitCode: 1,
      stderr: 'sh: Read-only file system',
      error: { code: 'WRITE_FAILED' },
    });
  });

  it.each(HOSTILE)('content %j only ever travels on stdin', async (content) => {
    const { exec, commands } = fakeRunner(ok(), ok());
    await fileWrite.run!(validated({ path: 'x/y', content }), ctx, exec);
    for (const c of commands) expect(c.argv).not.toContain(content);
    expect(commands[commands.length - 1]?.stdin).toBe(content);
  });

  it('accepts 1 MB content, refuses more than 16 MB and the workspace root', () => {
    expect(write({ path: 'big', content: 'x'.repeat(1 << 20) }).ok).toBe(true);
    const tooBig = write({ path: 'big', content: 'x'.repeat(16 * 1024 * 1024 + 1) });
    expect(tooBig).toMatchObject({ ok: false });
    expect(write({ path: '.', content: 'x' })).toMatchObject({
      ok: false,
      errors: [{ path: '/path', message: expect.stringMatching(/not the workspace root/) }],
    });
  });

  it('has no legacy args mapping', () => {
    expect(fileWrite.fromArgs).toBeUndefined();
  });
});
