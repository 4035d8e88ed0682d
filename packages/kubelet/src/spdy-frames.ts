// SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 §2.2), as far as Kubernetes' port-forward uses it:
// kubectl opens streams (SYN_STREAM), the server accepts them (SYN_REPLY), both sides send DATA,
// half-close with the FIN flag, abort with RST_STREAM, and the client PINGs every 10 s.
//   control frame: 1 | version(15) | type(16) | flags(8) | length(24) | payload
//   data frame:    0 | stream-id(31)           | flags(8) | length(24) | payload
// Header blocks inside SYN_STREAM, SYN_REPLY and HEADERS are zlib-compressed (spdy-headers.ts);
// this file only cuts them out.

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** RST_STREAM status codes the server sends. */
export const RstStatus = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;

/** The largest payload a frame can carry (24-bit length); DATA is cut well below it. */
const MAX_LENGTH = 0xffffff;
const HEADER_LENGTH = 8;

export type Frame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'control'; type: number; flags: number; payload: Buffer };

/** Cuts every complete frame off the front of `buf`; `rest` is the incomplete tail to keep. */
export function parseFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  while (buf.length - at >= HEADER_LENGTH) {
    const length = buf.readUIntBE(at + 5, 3);
    if (buf.length - at < HEADER_LENGTH + length) break;
    const flags = buf[at + 4];
    const payload = buf.subarray(at + HEADER_LENGTH, at + HEADER_LENGTH + length);
    if (buf[at] & 0x80) {
      const version = buf.readUInt16BE(at) & 0x7fff;
      if (version !== SPDY_VERSION) throw new Error(`SPDY version ${version} is not supported (only ${SPDY_VERSION})`);
      frames.push({ kind: 'control', type: buf.readUInt16BE(at + 2), flags, payload });
    } else {
      frames.push({ kind: 'data', streamId: buf.readUInt32BE(at) & 0x7fffffff, flags, data: payload });
    }
    at += HEADER_LENGTH + length;
  }
  return { frames, rest: buf.subarray(at) };
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_LENGTH) throw new Error(`SPDY frame payload of ${payload.length} bytes is too long`);
  const head = Buffer.alloc(HEADER_LENGTH);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  if (data.length > MAX_LENGTH) throw new Error(`SPDY data frame of ${data.length} bytes is too long`);
  const head = Buffer.alloc(HEADER_LENGTH);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head[4] = flags;
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}

/** Big-endian 32-bit words: the fixed part of most control frames (stream ids, status codes). */
export function words(...values: number[]): Buffer {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => out.writeUInt32BE(v >>> 0, 4 * i));
  return out;
}

export function streamIdOf(payload: Buffer): number {
  if (payload.length < 4) throw new Error('SPDY control frame too short for a stream id');
  return payload.readUInt32BE(0) & 0x7fffffff;
}

/** The compressed header block of a SYN_STREAM (after stream id, associated id, priority, slot). */
export function synStreamHeaderBlock(payload: Buffer): Buffer {
  if (payload.length < 10) throw new Error('SYN_STREAM frame too short');
  return payload.subarray(10);
}

/** The compressed header block of a SYN_REPLY or HEADERS frame (after the stream id). */
export function replyHeaderBlock(payload: Buffer): Buffer {
  return payload.subarray(4);
}
