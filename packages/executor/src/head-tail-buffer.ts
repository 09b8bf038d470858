/**
 * Keeps the first `ceil(budget / 2)` and the last `floor(budget / 2)` bytes of one stream and counts the
 * middle it drops: the cap mode of exec (`ToolSpec.outputCap: 'head-tail'`), where the end of a long log
 * is what a model needs. Memory stays bounded by the budget whatever the process prints.
 *
 * When something was dropped, the kept head ends and the kept tail starts on a UTF-8 character boundary
 * (at most 3 bytes of a split character are dropped too and counted), so the text never shows a
 * replacement character at the cut; `text()` joins them with a marker line naming the dropped count.
 */
export class HeadTailBuffer {
  private readonly headCap: number;
  private readonly tailCap: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private seen = 0;

  constructor(budget: number) {
    this.headCap = Math.ceil(Math.max(0, budget) / 2);
    this.tailCap = Math.floor(Math.max(0, budget) / 2);
  }

  /** Records a chunk; returns the part that went to the head (forwarded live as an event), or undefined. */
  push(chunk: Buffer): Buffer | undefined {
    this.seen += chunk.length;
    const toHead = Math.min(this.headCap - this.headBytes, chunk.length);
    let kept: Buffer | undefined;
    if (toHead > 0) {
      // Copy: the socket's buffer may be pooled, and a slice would pin the whole chunk.
      kept = Buffer.from(chunk.subarray(0, toHead));
      this.head.push(kept);
      this.headBytes += toHead;
    }
    const rest = chunk.subarray(toHead);
    if (rest.length > 0 && this.tailCap > 0) {
      const part = rest.length > this.tailCap ? rest.subarray(rest.length - this.tailCap) : rest;
      this.tail.push(Buffer.from(part));
      this.tailBytes += part.length;
      this.trimTail();
    }
    return kept;
  }

  /** Bytes the stream printed past the budget, plus split-character bytes left out at the cut. */
  get dropped(): number {
    const { head, tail } = this.kept();
    return this.seen - head.length - tail.length;
  }

  /** The head, a marker line when something was dropped, the tail. */
  text(): string {
    const { head, tail } = this.kept();
    const dropped = this.seen - head.length - tail.length;
    if (dropped === 0) return Buffer.concat([head, tail]).toString('utf8');
    return `${head.toString('utf8')}\n[... ${dropped} bytes dropped ...]\n${tail.toString('utf8')}`;
  }

  private kept(): { head: Buffer; tail: Buffer } {
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    if (this.seen === head.length + tail.length) return { head, tail };
    return { head: head.subarray(0, utf8End(head)), tail: tail.subarray(utf8Start(tail)) };
  }

  private trimTail(): void {
    let excess = this.tailBytes - this.tailCap;
    while (excess > 0) {
      const first = this.tail[0] as Buffer;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        excess -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        excess = 0;
      }
    }
  }
}

const isContinuation = (b: number): boolean => (b & 0xc0) === 0x80;

/** Length of `buf` without a trailing incomplete UTF-8 sequence. */
export function utf8End(buf: Buffer): number {
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const b = buf[buf.length - back] as number;
    if (isContinuation(b)) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? buf.length - back : buf.length;
  }
  return buf.length;
}

/** Offset of the first byte of `buf` that is not the continuation of a character cut off before it. */
export function utf8Start(buf: Buffer): number {
  let i = 0;
  while (i < Math.min(3, buf.length) && isContinuation(buf[i] as number)) i++;
  return i;
}
