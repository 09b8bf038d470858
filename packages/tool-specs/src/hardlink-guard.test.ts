import { fileEdit, fileRead, fileWrite, GUARDED_READ_SCRIPT, GUARDED_WRITE_SCRIPT, HARDLINK_EXIT_CODE } from './index';
import { fakeRunner, guardedCtx, HOSTILE, ok, validParams } from '../test/fake-runner';

const refused = ok('', {
  exitCode: HARDLINK_EXIT_CODE,
  stderr: 'refusing /workspace/a: it is a regular file with more than one hard link\n',
});

describe('the in-container hard-link guard (default on)', () => {
  it('file_read opens the path in a constant script and runs the filter on that descriptor', () => {
    expect(fileRead.command({ path: 'a' }, guardedCtx).argv).toEqual([
      'sh',
      '-c',
      GUARDED_READ_SCRIPT,
      'sh',
      '/workspace/a',
      'cat',
    ]);
    expect(fileRead.command({ path: 'a', offset: 2, limit: 3 }, guardedCtx).argv).toEqual([
      'sh',
      '-c',
      GUARDED_READ_SCRIPT,
      'sh',
      '/workspace/a',
      'sed',
      '-n',
      '-e',
      '2,4p',
      '-e',
      '4q',
    ]);
  });

  it('file_write writes stdin through the checked descriptor', async () => {
    const { exec, commands } = fakeRunner(ok());
    await fileWrite.run!(validParams('file_write', { path: 'a', content: '$(id)' }), guardedCtx, exec);
    expect(commands).toEqual([{ argv: ['sh', '-c', GUARDED_WRITE_SCRIPT, 'sh', '/workspace/a'], stdin: '$(id)' }]);
  });

  it.each(HOSTILE)('the hostile path %j is only ever the positional $1', (p) => {
    const argv = fileRead.command({ path: p }, guardedCtx).argv;
    expect(argv.slice(0, 4)).toEqual(['sh', '-c', GUARDED_READ_SCRIPT, 'sh']);
    expect(argv[4]?.startsWith('/workspace/')).toBe(true);
    expect(argv).toHaveLength(6);
  });

  it('maps a refusal to HARDLINK_REFUSED for file_read, file_write and file_edit', async () => {
    const read = await fileRead.run!(validParams('file_read', { path: 'a' }), guardedCtx, fakeRunner(refused).exec);
    expect(read.error).toMatchObject({ code: 'HARDLINK_REFUSED', message: expect.stringContaining('a') });
    const write = await fileWrite.run!(
      validParams('file_write', { path: 'a', content: 'x' }),
      guardedCtx,
      fakeRunner(refused).exec,
    );
    expect(write.error?.code).toBe('HARDLINK_REFUSED');
    const edit = await fileEdit.run!(
      validParams('file_edit', { path: 'a', old_string: 'x', new_string: 'y' }),
      guardedCtx,
      fakeRunner(refused).exec,
    );
    expect(edit.error?.code).toBe('HARDLINK_REFUSED');
  });

  it('file tools declare the workspace files they touch', () => {
    expect(fileRead.workspaceTargets?.({ path: 'a' })).toEqual([{ path: 'a', access: 'read' }]);
    expect(fileWrite.workspaceTargets?.({ path: 'b', content: '' })).toEqual([{ path: 'b', access: 'write' }]);
    expect(fileEdit.workspaceTargets?.({ path: 'c', old_string: 'x', new_string: 'y' })).toEqual([
      { path: 'c', access: 'write' },
    ]);
  });
});
