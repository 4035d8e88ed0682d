// Writing responses: JSON bodies, Status errors, and big lists streamed in chunks with backpressure.
import type { ServerResponse } from 'node:http';
import type { Status } from '@coxswain/objects';

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Sends an already-encoded JSON document. */
export function sendJsonText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendStatus(res: ServerResponse, status: Status, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    // A stream already started: there is no way to say more than "this ended badly".
    res.destroy();
    return;
  }
  sendJson(res, status.code, status, headers);
}

/** Each response's wait in progress: callers that ask again meanwhile share it. */
const waits = new WeakMap<ServerResponse, Promise<void>>();

/**
 * Resolves once the response can take more data (or has closed). One wait per response however many
 * ask: a watch writes live events without waiting, and a listener per event would pile up on a client
 * that does not read.
 */
export function drained(res: ServerResponse): Promise<void> {
  let wait = waits.get(res);
  if (!wait) {
    wait = new Promise((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        waits.delete(res);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
    waits.set(res, wait);
  }
  return wait;
}

const FLUSH_BYTES = 64 * 1024;

/** Resolves after pending I/O callbacks have run: lets other requests in between two chunks. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const COMMA = Buffer.from(',');

/** A chunk's bytes are copied into a buffer of this size when they fit (nearly always: ~64 KiB). */
const POOLED_BYTES = 2 * FLUSH_BYTES;

/**
 * The bytes of one chunk of a streamed list, gathered from items' encodings and copied out once,
 * into one of a few buffers that the list reuses once the socket has taken them: a LIST of 150,000
 * pods otherwise allocated ~4,700 buffers of 64 KiB (300 MB) for the collector to free.
 */
class Chunk {
  private parts: Buffer[] = [];
  private readonly free: Buffer[] = [];
  size = 0;

  add(piece: Buffer | string): void {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  /** The gathered bytes, and what to call once they are written (the buffer is then reused). */
  take(): { bytes: Buffer; written?: () => void } {
    if (this.size > POOLED_BYTES) return { bytes: this.takeInto(Buffer.allocUnsafe(this.size)) };
    const pooled = this.free.pop() ?? Buffer.allocUnsafeSlow(POOLED_BYTES);
    return { bytes: this.takeInto(pooled), written: () => this.free.push(pooled) };
  }

  private takeInto(target: Buffer): Buffer {
    let at = 0;
    for (const part of this.parts) at += part.copy(target, at);
    this.parts = [];
    this.size = 0;
    return target.subarray(0, at);
  }
}

/**
 * Streams `{...envelope(resourceVersion), items: [...]}` as the pages of a list arrive, without
 * building the whole document in memory: items are encoded one at a time and written in ~64 KiB
 * chunks, waiting for the socket to drain. Between chunks it always yields to the event loop, so a
 * list of many thousands of items holds the loop for one chunk's encoding at a time, not the whole
 * list's (other requests and watch events are served in between). Items may come as bytes (the
 * encoding cache keeps the watch cache's objects so): a chunk is then copied, not encoded again.
 * Headers go out with the first page, so an error before it still gets a proper Status; one after it
 * is thrown all the same: the caller's Status then cuts the response (`sendStatus`), and its log says why.
 */
export async function streamList<T>(
  res: ServerResponse,
  envelope: (resourceVersion: string) => Record<string, unknown>,
  pages: AsyncIterable<{ items: readonly T[]; resourceVersion: string }>,
  /** Returns the item's JSON, as text or UTF-8 bytes. */
  encode: (item: T) => string | Buffer,
  opts: {
    /** The array the items go in: `items` of a list (default), `rows` of a Table. */
    arrayField?: string;
    /** Awaited between two chunks besides the yield: lets writes being served go first (WritePriority). */
    pause?: () => Promise<void>;
  } = {},
): Promise<void> {
  const arrayField = opts.arrayField ?? 'items';
  const chunk = new Chunk();
  let started = false;
  let first = true;
  for await (const page of pages) {
    if (!started) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      started = true;
      const head = JSON.stringify(envelope(page.resourceVersion));
      chunk.add(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"${arrayField}":[`);
    }
    for (const item of page.items) {
      if (!first) chunk.add(COMMA);
      chunk.add(encode(item));
      first = false;
      if (chunk.size >= FLUSH_BYTES) {
        const { bytes, written } = chunk.take();
        // The callback runs once the socket has the bytes (never, if it is destroyed first: the
        // buffer is then simply not reused).
        const ok = res.write(bytes, written ? (err) => !err && written() : undefined);
        if (!ok) await drained(res);
        // 'drain' can come on process.nextTick (a write the kernel took at once), which never lets
        // the event loop reach I/O: yield explicitly.
        await yieldToEventLoop();
        await opts.pause?.();
        if (res.destroyed) return;
      }
    }
  }
  chunk.add(']}');
  res.end(chunk.take().bytes);
}
