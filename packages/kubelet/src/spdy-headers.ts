// SPDY/3 header blocks (draft-mbelshe-httpbis-spdy-00 §2.6.10): a count, then length-prefixed names
// and values (several values of one name joined by NUL), all 32-bit big-endian; compressed with
// zlib primed with the spec's dictionary. Each direction of a connection is ONE zlib stream: every
// block continues the previous one and ends with a sync flush. So a session keeps one compressor and
// one decompressor, and their calls must run in frame order (the callers serialise them).
import type { Transform } from 'stream';
import * as zlib from 'zlib';

export type SpdyHeaders = Record<string, string[]>;

/** The spec's dictionary: its words, each with a 32-bit length, then a run of common text. */
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICTIONARY_TEXT =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden' +
  '404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,public' +
  'privatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY_DICTIONARY = Buffer.concat([...DICTIONARY_WORDS.map((w) => lengthPrefixed(Buffer.from(w, 'latin1'))), Buffer.from(DICTIONARY_TEXT, 'latin1')]);

function lengthPrefixed(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length, 0);
  return Buffer.concat([len, b]);
}

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0].writeUInt32BE(entries.length, 0);
  for (const [name, values] of entries) parts.push(lengthPrefixed(Buffer.from(name.toLowerCase())), lengthPrefixed(Buffer.from(values.join('\0'))));
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let at = 0;
  const next = (): Buffer => {
    if (block.length - at < 4) throw new Error('SPDY header block truncated');
    const len = block.readUInt32BE(at);
    if (block.length - at - 4 < len) throw new Error('SPDY header block truncated');
    at += 4 + len;
    return block.subarray(at - len, at);
  };
  if (block.length < 4) throw new Error('SPDY header block truncated');
  const count = block.readUInt32BE(0);
  at = 4;
  const out: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const name = next().toString('latin1').toLowerCase();
    (out[name] ??= []).push(...next().toString('latin1').split('\0'));
  }
  return out;
}

/** Runs `input` through a long-lived zlib stream with a sync flush and returns what came out. */
function throughSyncFlush(z: Transform & zlib.Zlib, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(new Error(`SPDY header compression: ${e.message}`));
    z.once('error', onError);
    z.write(input);
    // zlib pushes all output for the input before it calls back; the stream is read in paused mode.
    z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      z.off('error', onError);
      const chunks: Buffer[] = [];
      for (let c = z.read() as Buffer | null; c !== null; c = z.read() as Buffer | null) chunks.push(c);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** One connection's two header contexts. Calls of each method must not overlap (see above). */
export class HeaderCodec {
  private readonly deflate = zlib.createDeflate({ dictionary: SPDY_DICTIONARY });
  private readonly inflate = zlib.createInflate({ dictionary: SPDY_DICTIONARY });

  compress(headers: SpdyHeaders): Promise<Buffer> {
    return throughSyncFlush(this.deflate, encodeHeaderBlock(headers));
  }

  async decompress(block: Buffer): Promise<SpdyHeaders> {
    return decodeHeaderBlock(await throughSyncFlush(this.inflate, block));
  }

  close(): void {
    this.deflate.destroy();
    this.inflate.destroy();
  }
}
