import { fsErrorFromStderr, isFsErrorCode } from './fs-errors';

describe('fsErrorFromStderr', () => {
  it.each([
    [
      "cat: can't open '/workspace/a.txt': No such file or directory",
      'NOT_FOUND',
      'a.txt does not exist in the workspace',
    ],
    ['grep: /workspace/src: No such file or directory', 'NOT_FOUND', 'a.txt does not exist in the workspace'],
    ["sh: line 0: can't open /workspace/a.txt: no such file", 'NOT_FOUND', 'a.txt does not exist in the workspace'],
    [
      "sh: line 0: can't create /workspace/a.txt: nonexistent directory",
      'NOT_FOUND',
      'a.txt does not exist in the workspace',
    ],
    ['cat: read error: Is a directory', 'IS_A_DIRECTORY', 'a.txt is a directory, not a file'],
    [
      "sed: can't read /workspace/a.txt/b: Not a directory",
      'NOT_A_DIRECTORY',
      'a component of a.txt is not a directory',
    ],
    ['tee: /workspace/a.txt: Permission denied', 'PERMISSION_DENIED', 'permission denied on a.txt'],
  ])('%s -> %s', (stderr, code, message) => {
    expect(fsErrorFromStderr(stderr, 'a.txt')).toEqual({ code, message });
  });

  it('anything else is not an fs error', () => {
    expect(fsErrorFromStderr('sed: -e expression #1: bad command', 'a.txt')).toBeUndefined();
    expect(fsErrorFromStderr('', 'a.txt')).toBeUndefined();
  });

  it('isFsErrorCode', () => {
    expect(isFsErrorCode('NOT_FOUND')).toBe(true);
    expect(isFsErrorCode('EDIT_NO_MATCH')).toBe(false);
    expect(isFsErrorCode(undefined)).toBe(false);
  });
});
