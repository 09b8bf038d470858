import { globToRegExp } from './glob-match';

describe('globToRegExp', () => {
  it.each([
    ['*.ts', 'a.ts', true],
    ['*.ts', 'a.tsx', false],
    ['?.go', 'a.go', true],
    ['[ab].c', 'b.c', true],
    ['[!ab].c', 'b.c', false],
    ['a.b', 'axb', false],
    ['$(x)', '$(x)', true],
    ['[', '[', true],
    ['*', 'dir/file', false],
  ])('%j matches %j: %j', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });
});
