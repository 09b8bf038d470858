import type { OutputCapMode } from '@baaaht/tool-specs';
import { HeadTailBuffer } from './head-tail-buffer';

/** Which stream a frame of Docker's multiplexed attach output belongs to. */
export type OutputStream = 'stdout' | 'stderr';

/**
 * Splits Docker's multiplexed stream (8-byte header: stream type, 3 zero bytes, big-endian payload size)
 * as bytes arrive, without ever buffering a whole frame: a 50 MB frame passes through in socket-sized
 * slices, so byte caps apply as the output streams.
 */
export class StreamDemuxer {
  private readonly header = Buffer.alloc(8);
  private headerFill = 0;
  private remaining = 0;
  private current: OutputStream | undefined;

  constructor(private readonly onChunk: (stream: OutputStream, chunk: Buffer) => void) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(8 - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < 8) return;
        this.headerFill = 0;
        const type = this.header[0];
        // Type 0 (stdin echo) is not produced without a TTY; treat anything unknown as stdout rather than lose it.
        this.current = type === 2 ? 'stderr' : 'stdout';
        this.remaining = this.header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      this.remaining -= take;
      this.onChunk(this.current ?? 'stdout', chunk.subarray(offset, offset + take));
      offset += take;
    }
  }
}

export interface OutputCaps {
  maxStdoutBytes: number;
  maxStderrBytes: number;
  /** Cap on stdout + stderr together. */
  maxOutputBytes: number;
  /**
   * `head` keeps the first bytes up to the caps. `head-tail` (exec) keeps, per stream, the first and the
   * last half of `min(its cap, maxOutputBytes / 2)` and drops the middle (see head-tail-buffer.ts).
   * @default 'head'
   */
  mode?: OutputCapMode;
}

/**
 * Keeps output up to hard byte caps and counts what it drops. Memory is bounded by the caps whatever the
 * tool prints; dropped bytes are still read from the socket so the tool never blocks on a full pipe.
 */
export class OutputCollector {
  private readonly kept: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly keptBytes: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  private readonly headDropped: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  /** Head+tail mode only: one buffer per stream. */
  private readonly headTail: Record<OutputStream, HeadTailBuffer> | undefined;

  constructor(private readonly caps: OutputCaps) {
    if (caps.mode === 'head-tail') {
      const budget = (cap: number): number => Math.min(cap, Math.floor(caps.maxOutputBytes / 2));
      this.headTail = {
        stdout: new HeadTailBuffer(budget(caps.maxStdoutBytes)),
        stderr: new HeadTailBuffer(budget(caps.maxStderrBytes)),
      };
    }
  }

  /** Bytes dropped per stream (head+tail mode: the middle, counted when read). */
  get dropped(): Record<OutputStream, number> {
    if (this.headTail === undefined) return this.headDropped;
    return { stdout: this.headTail.stdout.dropped, stderr: this.headTail.stderr.dropped };
  }

  /**
   * Records a chunk; returns the part that was kept (to forward as an event), or undefined. In head+tail
   * mode only the head is forwarded as it arrives: the tail is known once the stream ends, in `text()`.
   */
  accept(stream: OutputStream, chunk: Buffer): Buffer | undefined {
    if (this.headTail !== undefined) return this.headTail[stream].push(chunk);
    const cap = stream === 'stdout' ? this.caps.maxStdoutBytes : this.caps.maxStderrBytes;
    const total = this.keptBytes.stdout + this.keptBytes.stderr;
    const room = Math.max(0, Math.min(cap - this.keptBytes[stream], this.caps.maxOutputBytes - total));
    const keep = Math.min(room, chunk.length);
    this.headDropped[stream] += chunk.length - keep;
    if (keep === 0) return undefined;
    // Copy: the socket's buffer may be pooled, and a slice would pin the whole chunk.
    const part = Buffer.from(chunk.subarray(0, keep));
    this.kept[stream].push(part);
    this.keptBytes[stream] += keep;
    return part;
  }

  get truncated(): boolean {
    const dropped = this.dropped;
    return dropped.stdout > 0 || dropped.stderr > 0;
  }

  text(stream: OutputStream): string {
    if (this.headTail !== undefined) return this.headTail[stream].text();
    return Buffer.concat(this.kept[stream]).toString('utf8');
  }
}
