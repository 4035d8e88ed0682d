// The server side of a SPDY/3.1 connection (spdy-frames.ts) over any byte stream: a TCP socket after
// an `Upgrade: SPDY/3.1`, or a WebSocket carrying the SPDY bytes (kubectl's tunnelled form). The
// client opens streams; each arrives as a 'stream' event with its headers, already accepted with a
// SYN_REPLY, as a Duplex: what is written becomes DATA frames, end() sends FIN, and the client's
// FIN ends the readable side. Frames in and out are handled strictly in order, because header
// blocks share one zlib context per direction. Flow control (WINDOW_UPDATE) is not enforced:
// kubectl's SPDY library does not enforce it either.
import { Duplex } from 'stream';
import { EventEmitter } from 'events';
import { controlFrame, dataFrame, FLAG_FIN, FrameType, parseFrames, replyHeaderBlock, RstStatus, streamIdOf, synStreamHeaderBlock, words, type Frame } from './spdy-frames';
import { HeaderCodec, type SpdyHeaders } from './spdy-headers';

/** DATA is cut to this size so one busy stream cannot hold the connection for long. */
const MAX_DATA = 32 * 1024;

export class SpdyStream extends Duplex {
  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
    // A broken stream must not take the kubelet down; its users see 'close'.
    this.on('error', () => undefined);
  }

  /** Data from the client; ignored once the client has sent FIN or the stream is gone. */
  deliver(data: Buffer, fin: boolean): void {
    if (this.destroyed || this.remoteEnded) return;
    if (data.length) this.push(data);
    if (fin) {
      this.remoteEnded = true;
      this.push(null);
    }
  }

  private remoteEnded = false;

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** Aborts the stream (RST_STREAM CANCEL) instead of ending it. */
  reset(): void {
    this.session.reset(this.id, RstStatus.CANCEL);
    this.destroy();
  }

  override _read(): void {
    // Data is pushed as frames arrive; there is no window to open.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false).then(() => done(), done);
  }

  override _final(done: (e?: Error | null) => void): void {
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => done(), done);
  }
}

export interface SpdySession {
  on(event: 'stream', listener: (stream: SpdyStream) => void): this;
  on(event: 'close', listener: () => void): this;
}

export class SpdySession extends EventEmitter {
  private readonly codec = new HeaderCodec();
  private readonly streams = new Map<number, SpdyStream>();
  private pending = Buffer.alloc(0);
  /** Incoming frames are handled one after another (header blocks decompress asynchronously). */
  private inbound: Promise<void> = Promise.resolve();
  /** Outgoing frames are written in the order they were asked for. */
  private outbound: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly transport: Duplex) {
    super();
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('end', () => this.close());
    transport.on('close', () => this.close());
    transport.on('error', () => this.close());
  }

  /** Ends every stream and the connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.destroy();
    this.streams.clear();
    this.codec.close();
    this.transport.destroy();
    this.emit('close');
  }

  sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    const frames: Buffer[] = [];
    for (let at = 0; at < data.length; at += MAX_DATA) frames.push(dataFrame(id, 0, data.subarray(at, at + MAX_DATA)));
    if (fin) frames.push(dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
    return this.send(async () => Buffer.concat(frames));
  }

  reset(id: number, status: number): void {
    this.streams.delete(id);
    void this.send(async () => controlFrame(FrameType.RST_STREAM, 0, words(id, status))).catch(() => undefined);
  }

  private send(build: () => Promise<Buffer>): Promise<void> {
    const next = this.outbound.then(async () => {
      if (this.closed) throw new Error('the SPDY connection is closed');
      const bytes = await build();
      await new Promise<void>((resolve, reject) => this.transport.write(bytes, (e) => (e ? reject(e) : resolve())));
    });
    this.outbound = next.catch(() => undefined);
    return next;
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      const parsed = parseFrames(this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk);
      frames = parsed.frames;
      this.pending = Buffer.from(parsed.rest);
    } catch {
      return this.close();
    }
    for (const frame of frames) {
      this.inbound = this.inbound.then(() => (this.closed ? undefined : this.handle(frame))).catch(() => this.close());
    }
  }

  private async handle(frame: Frame): Promise<void> {
    if (frame.kind === 'data') {
      const stream = this.streams.get(frame.streamId);
      if (!stream) return this.reset(frame.streamId, RstStatus.INVALID_STREAM);
      stream.deliver(frame.data, (frame.flags & FLAG_FIN) !== 0);
      return;
    }
    const { type, flags, payload } = frame;
    switch (type) {
      case FrameType.SYN_STREAM: {
        const id = streamIdOf(payload);
        const headers = await this.codec.decompress(synStreamHeaderBlock(payload));
        const stream = new SpdyStream(this, id, headers);
        this.streams.set(id, stream);
        stream.on('close', () => this.streams.get(id) === stream && this.streams.delete(id));
        await this.send(async () => controlFrame(FrameType.SYN_REPLY, 0, Buffer.concat([words(id), await this.codec.compress({})])));
        if (flags & FLAG_FIN) stream.deliver(Buffer.alloc(0), true);
        this.emit('stream', stream);
        return;
      }
      case FrameType.SYN_REPLY:
      case FrameType.HEADERS:
        // Not expected from a client, but its block must still pass through the shared context.
        await this.codec.decompress(replyHeaderBlock(payload));
        return;
      case FrameType.RST_STREAM: {
        const id = streamIdOf(payload);
        const stream = this.streams.get(id);
        this.streams.delete(id);
        stream?.destroy();
        return;
      }
      case FrameType.PING:
        // A ping is answered with the same frame.
        await this.send(async () => controlFrame(FrameType.PING, 0, payload));
        return;
      case FrameType.GOAWAY:
        return this.close();
      default:
        // SETTINGS, WINDOW_UPDATE and anything newer: nothing to do.
        return;
    }
  }
}
