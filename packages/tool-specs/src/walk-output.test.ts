import { parseFindOutput, parseStatListing, refusedEntries, skippedNote } from './walk-output';

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

describe('refusedEntries (entries gVisor refuses to stat)', () => {
  it('takes out and counts EPERM lines for entries strictly below the start path only', () => {
    const stderr = [
      'find: /workspace/src/pipe: Operation not permitted',
      'find: /workspace/src: Operation not permitted',
      'find: /workspace/other/pipe: Operation not permitted',
      'find: /workspace/src/x: Permission denied',
      'find: /workspace/src/weird: Operation not permitted trailing',
      '',
    ].join('\n');
    const r = refusedEntries(stderr, '/workspace/src');
    expect(r.refused).toBe(1);
    expect(r.onlyRefused).toBe(false);
    expect(r.stderr).not.toContain('/workspace/src/pipe:');
    expect(r.stderr).toContain('find: /workspace/src: Operation not permitted');
    expect(r.stderr).toContain('find: /workspace/other/pipe');
  });

  it('onlyRefused when nothing else came from find; nothing refused is never onlyRefused', () => {
    expect(refusedEntries('find: /workspace/p: Operation not permitted\n', '/workspace')).toEqual({
      stderr: '',
      refused: 1,
      onlyRefused: true,
    });
    expect(refusedEntries('', '/workspace')).toEqual({ stderr: '', refused: 0, onlyRefused: false });
  });
});
