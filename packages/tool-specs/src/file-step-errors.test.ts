import {
  fileEdit,
  fileRead,
  fileWrite,
  GUARDED_READ_SCRIPT,
  GUARDED_WRITE_SCRIPT,
  READ_SCRIPT,
  SPECIAL_FILE_EXIT_CODE,
  WRITE_SCRIPT,
} from './index';
import { ctx, fakeRunner, guardedCtx, ok, validParams } from '../test/fake-runner';

const failed = (stderr: string, exitCode = 1) => ok('', { exitCode, stderr });
const read = (path: string, result = failed('')) =>
  fileRead.run!(validParams('file_read', { path }), ctx, fakeRunner(result).exec);

describe('typed file errors of file_read, file_write and file_edit', () => {
  it.each([
    [
      "sh: line 0: can't open /workspace/nope.txt: no such file",
      'NOT_FOUND',
      'nope.txt does not exist in the workspace',
    ],
    ['/workspace/nope.txt: Is a directory', 'IS_A_DIRECTORY', 'nope.txt is a directory, not a file'],
    [
      "sh: line 0: can't open /workspace/nope.txt: Permission denied",
      'PERMISSION_DENIED',
      'permission denied on nope.txt',
    ],
  ])('file_read: %j -> %s', async (stderr, code, message) => {
    expect((await read('nope.txt', failed(stderr))).error).toEqual({ code, message });
  });

  it('the guard refusing a FIFO, socket or device is NOT_A_REGULAR_FILE naming the path', async () => {
    const refused = failed(
      'refusing /workspace/p: it is not a regular file (a FIFO, socket or device)\n',
      SPECIAL_FILE_EXIT_CODE,
    );
    expect((await read('p', refused)).error).toEqual({
      code: 'NOT_A_REGULAR_FILE',
      message: 'refusing to read p: it is not a regular file (a FIFO, socket or device)',
    });
    const edit = await fileEdit.run!(
      validParams('file_edit', { path: 'p', old_string: 'a', new_string: 'b' }),
      ctx,
      fakeRunner(refused).exec,
    );
    expect(edit.error?.code).toBe('NOT_A_REGULAR_FILE');
    const write = await fileWrite.run!(
      validParams('file_write', { path: 'p', content: 'x' }),
      ctx,
      fakeRunner(refused).exec,
    );
    expect(write.error?.code).toBe('NOT_A_REGULAR_FILE');
  });

  it('a name that spells an error message does not choose the code', async () => {
    const name = 'No such file or directory';
    const r = await read(name, failed(`/workspace/${name}: Is a directory`));
    expect(r.error?.code).toBe('IS_A_DIRECTORY');
  });

  it('an unknown failure keeps the raw outcome (the executor reports TOOL_FAILED)', async () => {
    const r = await read('a', failed('sed: bad things'));
    expect(r).toEqual({ exitCode: 1, stdout: '', stderr: 'sed: bad things', truncated: false });
  });

  it('file_write into a missing parent (create_dirs false) is NOT_FOUND naming the parent', async () => {
    const missing = failed("sh: line 0: can't create /workspace/missing/x.txt: nonexistent directory\n");
    const r = await fileWrite.run!(
      validParams('file_write', { path: 'missing/x.txt', content: 'x', create_dirs: false }),
      ctx,
      fakeRunner(missing).exec,
    );
    expect(r.error).toEqual({
      code: 'NOT_FOUND',
      message: 'missing does not exist in the workspace (the parent directory of missing/x.txt)',
    });
    const notDir = failed('/workspace/a.txt: Not a directory\n');
    const under = await fileWrite.run!(
      validParams('file_write', { path: 'a.txt/x', content: 'x', create_dirs: false }),
      ctx,
      fakeRunner(notDir).exec,
    );
    expect(under.error).toEqual({ code: 'NOT_A_DIRECTORY', message: 'a component of a.txt is not a directory' });
  });

  it('file_write mkdir under a file is NOT_A_DIRECTORY; at a directory path IS_A_DIRECTORY', async () => {
    const mkdir = failed("mkdir: can't create directory '/workspace/a.txt/d': Not a directory\n");
    const r = await fileWrite.run!(
      validParams('file_write', { path: 'a.txt/d/x', content: 'x' }),
      ctx,
      fakeRunner(mkdir).exec,
    );
    expect(r.error).toEqual({ code: 'NOT_A_DIRECTORY', message: 'a component of a.txt/d is not a directory' });
    const dir = await fileWrite.run!(
      validParams('file_write', { path: 'src', content: 'x' }),
      ctx,
      fakeRunner(failed('/workspace/src: Is a directory\n')).exec,
    );
    expect(dir.error).toEqual({ code: 'IS_A_DIRECTORY', message: 'src is a directory, not a file' });
  });

  it('file_edit of a missing file is NOT_FOUND', async () => {
    const r = await fileEdit.run!(
      validParams('file_edit', { path: 'gone.txt', old_string: 'a', new_string: 'b' }),
      ctx,
      fakeRunner(failed('/workspace/gone.txt: No such file or directory\n')).exec,
    );
    expect(r.error).toEqual({ code: 'NOT_FOUND', message: 'gone.txt does not exist in the workspace' });
  });
});

describe('the in-container special-file guard', () => {
  it.each([
    ['read, guarded', GUARDED_READ_SCRIPT],
    ['read', READ_SCRIPT],
    ['write, guarded', GUARDED_WRITE_SCRIPT],
    ['write', WRITE_SCRIPT],
  ])('%s: refuses non-regular files before opening them and checks the opened descriptor', (_label, script) => {
    const open = script.search(/exec 3<>?"\$1"/);
    expect(open).toBeGreaterThan(0);
    expect(script.slice(0, open)).toContain('[ -e "$1" ] && [ ! -f "$1" ]');
    expect(script.slice(open)).toContain(`[ ! -f /proc/self/fd/3 ]`);
    expect(script).toContain(`exit ${SPECIAL_FILE_EXIT_CODE}`);
    // The path is only ever $1 (data); nothing evaluates it.
    expect(script).not.toMatch(/\beval\b|\$\{?[2-9]/);
  });

  it('the guard is on whether or not hard links are allowed', () => {
    expect(fileRead.command({ path: 'a' }, ctx).argv.slice(0, 3)).toEqual(['sh', '-c', READ_SCRIPT]);
    expect(fileRead.command({ path: 'a' }, guardedCtx).argv.slice(0, 3)).toEqual(['sh', '-c', GUARDED_READ_SCRIPT]);
  });
});
