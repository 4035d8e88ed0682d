// Relays what an endpoint socket reads straight on to the client through a few reusable buffers (Node's
// `onread` option), instead of a fresh 64 KiB Buffer per read pushed through a Readable stream. Fewer
// allocations and larger reads roughly double the proxy's bulk throughput (see docs/proxy.md).
//
// Back-pressure: a buffer is reused only once the bytes written from it have left the process. A write
// the kernel took whole leaves `writableLength` at 0, so the buffer is free at once; otherwise it is
// free when the write's callback runs. While every buffer is held by a pending write, reading stops.
// So one connection holds at most `poolSize` buffers; they start small (an idle connection costs one
// 64 KiB buffer) and grow while reads fill them.
import type { OnReadOpts, Socket } from 'net';

export const RELAY_MIN_BUFFER = 64 * 1024;
export const RELAY_MAX_BUFFER = 1024 * 1024;
export const RELAY_POOL_SIZE = 2;

export class BufferRelay {
  private target?: Socket;
  private source?: Socket;
  private size: number;
  private next: Buffer;
  private readonly free: Buffer[] = [];
  /** Buffers in existence (the current one, the free ones, and those held by pending writes). */
  private allocated = 1;
  /** Set while reading is stopped: the buffer Node will read into next, held by a pending write. */
  private stalledOn?: Buffer;

  constructor(
    private readonly maxBuffer = RELAY_MAX_BUFFER,
    minBuffer = RELAY_MIN_BUFFER,
    private readonly poolSize = RELAY_POOL_SIZE,
  ) {
    this.size = Math.min(minBuffer, maxBuffer);
    this.next = Buffer.allocUnsafe(this.size);
  }

  /** The `onread` option for the source socket's constructor. */
  readonly onread: OnReadOpts = {
    buffer: () => this.next,
    callback: (n: number, buf: Uint8Array) => this.relay(n, buf as Buffer),
  };

  /** Starts relaying from `source` (created with `onread`, kept paused until now) into `target`. */
  start(source: Socket, target: Socket): void {
    this.source = source;
    this.target = target;
    source.resume();
  }

  private relay(n: number, buf: Buffer): boolean {
    const target = this.target;
    if (!target || target.destroyed) return false;
    // A read that filled the buffer asks for larger reads from now on.
    if (n === buf.length && this.size < this.maxBuffer) this.size = Math.min(this.maxBuffer, this.size * 4);
    let held = false;
    target.write(buf.subarray(0, n), () => {
      if (held) this.release(buf);
    });
    if (target.writableLength === 0) {
      // The kernel took it all: the buffer is free again.
      this.next = buf.length < this.size ? this.replace() : buf;
      return true;
    }
    held = true;
    const spare = this.take();
    if (spare) {
      this.next = spare;
      return true;
    }
    // Every buffer is held by a pending write: read no more until this one is released (Node reads
    // into it next). pause() rather than only returning false, so that resume() restarts the reads.
    this.stalledOn = buf;
    this.next = buf;
    this.source?.pause();
    return false;
  }

  private take(): Buffer | undefined {
    while (this.free.length) {
      const b = this.free.pop()!;
      if (b.length >= this.size) return b;
      this.allocated--; // outgrown
    }
    if (this.allocated < this.poolSize) {
      this.allocated++;
      return Buffer.allocUnsafe(this.size);
    }
    return undefined;
  }

  /** A buffer of the current size in place of an outgrown, free one. */
  private replace(): Buffer {
    return Buffer.allocUnsafe(this.size);
  }

  private release(buf: Buffer): void {
    if (buf !== this.stalledOn) {
      this.free.push(buf);
      return;
    }
    this.stalledOn = undefined;
    if (this.source && !this.source.destroyed) this.source.resume();
  }
}
