import { OutputCollector, StreamDemuxer } from './output-demux';
import type { OutputStream } from './output-demux';
import { frame } from './test-support/fake-docker';

function demuxAll(input: Buffer, sliceSizes: number[]): Array<[OutputStream, string]> {
  const out: Array<[OutputStream, string]> = [];
  const d = new StreamDemuxer((s, c) => out.push([s, c.toString()]));
  let i = 0;
  let k = 0;
  while (i < input.length) {
    const n = sliceSizes[k++ % sliceSizes.length] as number;
    d.push(input.subarray(i, i + n));
    i += n;
  }
  return out;
}

const join = (parts: Array<[OutputStream, string]>, s: OutputStream): string =>
  parts
    .filter(([w]) => w === s)
    .map(([, c]) => c)
    .join('');

describe('StreamDemuxer', () => {
  const input = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, 'world'), frame(1, ''), frame(2, '!')]);

  it.each([[[input.length]], [[1]], [[3, 7]], [[8]], [[9, 2]]])('splits frames whatever the chunking (%j)', (sizes) => {
    const parts = demuxAll(input, sizes);
    expect(join(parts, 'stdout')).toBe('hello world');
    expect(join(parts, 'stderr')).toBe('oops!');
  });

  it('passes a large frame through in slices without buffering it whole', () => {
    const sizes: number[] = [];
    const d = new StreamDemuxer((_s, c) => sizes.push(c.length));
    const header = frame(1, Buffer.alloc(0));
    header.writeUInt32BE(10 * 65536, 4);
    d.push(header);
    for (let i = 0; i < 10; i++) d.push(Buffer.alloc(65536));
    expect(sizes).toEqual(new Array(10).fill(65536));
  });
});

describe('OutputCollector', () => {
  it('keeps bytes up to the per-stream cap and counts the rest', () => {
    const c = new OutputCollector({ maxStdoutBytes: 5, maxStderrBytes: 3, maxOutputBytes: 100 });
    expect(c.accept('stdout', Buffer.from('abc'))?.toString()).toBe('abc');
    expect(c.accept('stdout', Buffer.from('defg'))?.toString()).toBe('de');
    expect(c.accept('stdout', Buffer.from('xyz'))).toBeUndefined();
    c.accept('stderr', Buffer.from('12345'));
    expect(c.text('stdout')).toBe('abcde');
    expect(c.text('stderr')).toBe('123');
    expect(c.dropped).toEqual({ stdout: 5, stderr: 2 });
    expect(c.truncated).toBe(true);
  });

  it('applies the total cap across both streams', () => {
    const c = new OutputCollector({ maxStdoutBytes: 10, maxStderrBytes: 10, maxOutputBytes: 6 });
    c.accept('stdout', Buffer.from('aaaa'));
    c.accept('stderr', Buffer.from('bbbb'));
    expect(c.text('stdout') + c.text('stderr')).toBe('aaaabb');
    expect(c.dropped).toEqual({ stdout: 0, stderr: 2 });
  });

  it('is not truncated when everything fit', () => {
    const c = new OutputCollector({ maxStdoutBytes: 10, maxStderrBytes: 10, maxOutputBytes: 20 });
    c.accept('stdout', Buffer.from('0123456789'));
    expect(c.truncated).toBe(false);
  });
});
