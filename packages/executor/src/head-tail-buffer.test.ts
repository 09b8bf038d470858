import { HeadTailBuffer, utf8End, utf8Start } from './head-tail-buffer';
import { OutputCollector } from './output-demux';

const bytes = (n: number, from = 0): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => 97 + ((from + i) % 26)));

describe('HeadTailBuffer', () => {
  it('keeps everything up to the budget, in order, across chunks', () => {
    const b = new HeadTailBuffer(10);
    b.push(Buffer.from('abcd'));
    b.push(Buffer.from('efghij'));
    expect(b.text()).toBe('abcdefghij');
    expect(b.dropped).toBe(0);
  });

  it('keeps exactly the first ceil(N/2) and last floor(N/2) bytes past the budget', () => {
    const b = new HeadTailBuffer(11);
    const all = bytes(100);
    // Odd chunk sizes: the cut points fall inside chunks.
    for (let i = 0; i < all.length; i += 7) b.push(all.subarray(i, i + 7));
    expect(b.dropped).toBe(100 - 11);
    expect(b.text()).toBe(
      `${all.subarray(0, 6).toString()}\n[... 89 bytes dropped ...]\n${all.subarray(95).toString()}`,
    );
  });

  it('at the boundary: budget + 1 bytes drops exactly one', () => {
    const b = new HeadTailBuffer(4);
    b.push(Buffer.from('abcde'));
    expect(b.dropped).toBe(1);
    expect(b.text()).toBe('ab\n[... 1 bytes dropped ...]\nde');
  });

  it('returns only the head part of a chunk for live events', () => {
    const b = new HeadTailBuffer(4);
    expect(b.push(Buffer.from('abc'))?.toString()).toBe('ab');
    expect(b.push(Buffer.from('def'))).toBeUndefined();
  });

  it('never splits a UTF-8 character at either cut, and counts the bytes it leaves out', () => {
    // "é" is 2 bytes, "😀" 4: a budget of 6 cuts inside characters on both sides.
    const text = `a${'é'.repeat(10)}😀z`;
    const b = new HeadTailBuffer(6);
    for (const byte of Buffer.from(text)) b.push(Buffer.from([byte]));
    const out = b.text();
    expect(out).not.toContain('\uFFFD');
    // head: 'a' + 'é' (3 bytes; the 3rd would split é); tail: '😀z' is 5 bytes, last 3 are inside 😀 -> 'z' only.
    expect(out).toBe(`aé\n[... ${Buffer.byteLength(text) - 3 - 1} bytes dropped ...]\nz`);
    expect(b.dropped).toBe(Buffer.byteLength(text) - 4);
  });

  it('finds UTF-8 boundaries', () => {
    const e = Buffer.from('aé😀');
    expect(utf8End(e)).toBe(e.length);
    expect(utf8End(e.subarray(0, 5))).toBe(3);
    expect(utf8End(e.subarray(0, 2))).toBe(1);
    expect(utf8Start(e.subarray(2))).toBe(1);
    expect(utf8Start(e.subarray(4))).toBe(3);
    expect(utf8Start(Buffer.from('abc'))).toBe(0);
  });
});

describe('OutputCollector in head-tail mode', () => {
  it('gives each stream min(its cap, half the combined cap) and counts per stream', () => {
    const c = new OutputCollector({ maxStdoutBytes: 8, maxStderrBytes: 100, maxOutputBytes: 20, mode: 'head-tail' });
    c.accept('stdout', bytes(50));
    c.accept('stderr', bytes(30));
    expect(c.dropped).toEqual({ stdout: 42, stderr: 20 });
    expect(c.truncated).toBe(true);
    expect(c.text('stdout')).toBe(`abcd\n[... 42 bytes dropped ...]\n${bytes(4, 46).toString()}`);
  });

  it('head mode is unchanged: the first bytes, then nothing', () => {
    const c = new OutputCollector({ maxStdoutBytes: 8, maxStderrBytes: 100, maxOutputBytes: 20 });
    c.accept('stdout', bytes(50));
    expect(c.text('stdout')).toBe(bytes(8).toString());
    expect(c.dropped).toEqual({ stdout: 42, stderr: 0 });
  });
});
