import { checkProtectedPath, protectedPathOf } from './index';

describe('checkProtectedPath', () => {
  it.each([
    ['.git', '.git'],
    ['./.git/', '.git'],
    ['a//b/', 'a/b'],
  ])('normalises %j to %j', (entry, path) => {
    expect(checkProtectedPath(entry)).toEqual({ ok: true, path });
  });

  it.each(['', '/etc', '../x', 'a/../b', '.', 'a\0b'])('refuses %j', (entry) => {
    expect(checkProtectedPath(entry).ok).toBe(false);
  });
});

describe('protectedPathOf', () => {
  it.each(['.git', '.git/config', '.git/hooks/pre-commit', '.GIT/config', '.Git/', 'sub/.env'])(
    '%j is protected',
    (rel) => {
      expect(protectedPathOf(rel, ['.git', 'sub/.env'])).toBeDefined();
    },
  );

  it.each(['.gitignore', '.github/x', 'a/.git/config', 'sub', 'sub/.envrc'])('%j is not protected', (rel) => {
    expect(protectedPathOf(rel, ['.git', 'sub/.env'])).toBeUndefined();
  });

  it('an empty list protects nothing', () => {
    expect(protectedPathOf('.git/config', [])).toBeUndefined();
  });
});
