import { checkWorkspacePath, containerPath, normalizeWorkspacePath, ToolSpecError } from './index';

describe('workspace paths', () => {
  it.each([
    ['main.go', 'main.go'],
    ['./src//a/../b.ts', 'src/b.ts'],
    ['.', '.'],
    ['src/', 'src'],
    ['/workspace', '.'],
    ['/workspace/main.go', 'main.go'],
    ['/workspace/a/../b', 'b'],
    ['-rf', '-rf'],
    ['a/..', '.'],
    ['...', '...'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normalizeWorkspacePath(input)).toBe(expected);
  });

  it.each([
    ['', /must not be empty/],
    ['..', /'\.\.' leaves it/],
    ['../etc/passwd', /'\.\.' leaves it/],
    ['a/../../b', /'\.\.' leaves it/],
    ['/etc/passwd', /inside \/workspace/],
    ['/workspace/../etc', /inside \/workspace/],
    ['/workspacex/a', /inside \/workspace/],
    ['a\0b', /NUL/],
    ['a'.repeat(4097), /longer than 4096 bytes/],
  ])('refuses %j', (input, message) => {
    const checked = checkWorkspacePath(input);
    expect(checked.ok).toBe(false);
    expect(() => normalizeWorkspacePath(input, 'path')).toThrow(message);
  });

  it('names the parameter and uses code INVALID_PATH', () => {
    try {
      normalizeWorkspacePath('../x', 'dir', 'list');
      throw new Error('not thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(ToolSpecError);
      expect(err).toMatchObject({ code: 'INVALID_PATH', tool: 'list' });
      expect((err as Error).message).toMatch(/^dir /);
    }
  });

  it('builds container paths that never start with a dash', () => {
    expect(containerPath('-rf', '/workspace')).toBe('/workspace/-rf');
    expect(containerPath('.', '/workspace/')).toBe('/workspace');
    expect(() => containerPath('a', 'relative')).toThrow(expect.objectContaining({ code: 'INVALID_CONTEXT' }));
    expect(() => containerPath(42, '/workspace')).toThrow(expect.objectContaining({ code: 'INVALID_PATH' }));
  });
});
