import { displayPath } from './display-path';

describe('displayPath', () => {
  it.each([
    ['src/a.ts', 'src/a.ts'],
    ['with space.txt', 'with space.txt'],
    ['ünïcødé/名前.md', 'ünïcødé/名前.md'],
    ['a:1:b', 'a:1:b'],
  ])('prints an ordinary name as is: %j', (name, shown) => expect(displayPath(name)).toBe(shown));

  it.each([
    ['a\nb.txt', '"a\\nb.txt"'],
    ['evil\n/workspace/x.ts:1:forged', '"evil\\n/workspace/x.ts:1:forged"'],
    ['tab\there', '"tab\\there"'],
    ['cr\r', '"cr\\r"'],
    ['quote"d', '"quote\\"d"'],
    ['back\\slash', '"back\\\\slash"'],
    ['bell\u0007', '"bell\\x07"'],
    ['del\u007f', '"del\\x7f"'],
  ])('C-quotes a name that could break a line or fake a field: %j', (name, shown) => {
    expect(displayPath(name)).toBe(shown);
    expect(displayPath(name)).not.toContain('\n');
  });
});
