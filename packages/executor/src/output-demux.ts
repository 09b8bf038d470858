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
}

/**
 * Keeps output up to hard byte caps and counts what it drops. Memory is bounded by the caps whatever the
 * tool prints; dropped bytes are still read from the socket so the tool never blocks on a full pipe.
 */
export class OutputCollector {
  private readonly kept: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly keptBytes: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  readonly dropped: Record<OutputStream, number> = { stdout: 0, stderr: 0 };

  constructor(private readonly caps: OutputCaps) {}

  /** Records a chunk; returns the part that was kept (to forward as an event), or undefined. */
  accept(stream: OutputStream, chunk: Buffer): Buffer | undefined {
    const cap = stream === 'stdout' ? this.caps.maxStdoutBytes : this.caps.maxStderrBytes;
    const total = this.keptBytes.stdout + this.keptBytes.stderr;
    const room = Math.max(0, Math.min(cap - this.keptBytes[stream], this.caps.maxOutputBytes - total));
    const keep = Math.min(room, chunk.length);
    this.dropped[stream] += chunk.length - keep;
    if (keep === 0) return undefined;
    // Copy: the socket's buffer may be pooled, and a slice would pin the whole chunk.
    const part = Buffer.from(chunk.subarray(0, keep));
    this.kept[stream].push(part);
    this.keptBytes[stream] += keep;
    return part;
  }

  get truncated(): boolean {
    return this.dropped.stdout > 0 || this.dropped.stderr > 0;
  }

  text(stream: OutputStream): string {
    return Buffer.concat(this.kept[stream]).toString('utf8');
  }
}
