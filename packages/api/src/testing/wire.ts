// Small helpers for tests that speak raw HTTP and WebSocket to the server.
import WebSocket from 'ws';
import { eventually } from '@coxswain/testing';

export interface RawResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResult> {
  const res = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Opens a WebSocket and collects messages; `next(n)` waits until n have arrived. */
export function collectWs(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const messages: any[] = [];
  let closed: { code: number; reason: string } | undefined;
  let unexpected: { status: number; body: string } | undefined;
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
  ws.on('unexpected-response', (_req, res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => (unexpected = { status: res.statusCode ?? 0, body }));
  });
  ws.on('error', () => undefined);
  const until = (cond: () => boolean, timeoutMs: number, what: string) =>
    eventually(
      () => {
        if (!cond()) throw new Error(`got ${JSON.stringify(messages).slice(0, 2000)}`);
        return true;
      },
      timeoutMs,
      what,
      10,
    );
  return {
    ws,
    messages,
    get closed() {
      return closed;
    },
    get unexpected() {
      return unexpected;
    },
    untilOpen: (timeoutMs = 5000) => until(() => ws.readyState === WebSocket.OPEN, timeoutMs, 'the connection to open'),
    next: (n: number, timeoutMs = 5000) => until(() => messages.length >= n, timeoutMs, `${n} messages`),
    untilClosed: (timeoutMs = 5000) => until(() => closed !== undefined || unexpected !== undefined, timeoutMs, 'close'),
    close: () => ws.terminate(),
  };
}

/** Reads a chunked JSON-lines response until `stop(lines)` or the timeout. */
export async function readLines(url: string, stop: (lines: any[]) => boolean, timeoutMs = 5000, headers: Record<string, string> = {}): Promise<any[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const lines: any[] = [];
  try {
    const res = await fetch(url, { signal: ac.signal, headers });
    const reader = res.body!.getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
      if (stop(lines)) {
        await reader.cancel();
        break;
      }
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
  }
  return lines;
}
