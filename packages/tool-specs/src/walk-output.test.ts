import { parseFindOutput, parseStatListing, skippedNote } from './walk-output';

describe('parseFindOutput', () => {
  it('one record per NUL; an empty record is a skipped special file; a cut tail is dropped', () => {
    expect(parseFindOutput('/w\0\0/w/a\nb\0\0/w/c')).toEqual({ paths: ['/w', '/w/a\nb'], special: 2, cut: true });
    expect(parseFindOutput('')).toEqual({ paths: [], special: 0, cut: false });
  });
});

describe('parseStatListing', () => {
  it('reads a symlink target of exactly its size in UTF-8 bytes, even if it looks like the next record', () => {
    const target = "名前' -> 'x\n81a4 1 2 /w/f";
    const out = `/w/l\0/w/f\0a1ff ${Buffer.byteLength(target)} 5 '/w/l' -> '${target}'\n81a4 1 6 /w/f\n`;
    expect(parseStatListing(out)).toEqual({
      entries: [
        { path: '/w/l', type: 'symlink', size: Buffer.byteLength(target), mode: '0777', mtime: 5, target },
        { path: '/w/f', type: 'file', size: 1, mode: '0644', mtime: 6 },
      ],
      broken: false,
    });
  });

  it('accepts a record only for a name printed before it; anything else ends the parse as broken', () => {
    expect(parseStatListing('81a4 1 2 /w/never-printed\n')).toEqual({ entries: [], broken: true });
    expect(parseStatListing('/w/a\0zz garbage\n')).toEqual({ entries: [], broken: true });
    expect(parseStatListing('/w/a\0/w/b')).toEqual({ entries: [], broken: true });
  });

  it('skips a printed name whose record is missing (it vanished before stat)', () => {
    expect(parseStatListing('/w/a\0/w/b\x0081a4 0 1 /w/b\n').entries.map((e) => e.path)).toEqual(['/w/b']);
  });
});

it('skippedNote is one line, only when something was skipped', () => {
  expect(skippedNote(0)).toBe('');
  expect(skippedNote(1)).toBe('note: skipped 1 special file (FIFOs, sockets, devices)\n');
  expect(skippedNote(3)).toBe('note: skipped 3 special files (FIFOs, sockets, devices)\n');
});
