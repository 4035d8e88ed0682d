import * as zlib from 'zlib';
import { decodeHeaderBlock, encodeHeaderBlock, HeaderCodec, SPDY_DICTIONARY, type SpdyHeaders } from './spdy-headers';

describe('SPDY/3 header blocks', () => {
  it('round-trip through one compressor and one decompressor across several blocks (one zlib stream per direction)', async () => {
    const sender = new HeaderCodec();
    const receiver = new HeaderCodec();
    try {
      const blocks: SpdyHeaders[] = [{ streamtype: ['error'], port: ['8080'], requestid: ['0'] }, { streamtype: ['data'], port: ['8080'], requestid: ['0'] }, {}, { multi: ['a', 'b'] }];
      for (const headers of blocks) expect(await receiver.decompress(await sender.compress(headers))).toEqual(headers);
    } finally {
      sender.close();
      receiver.close();
    }
  });

  it('the first block is a zlib stream primed with the spec dictionary (the peer checks its id)', async () => {
    const codec = new HeaderCodec();
    try {
      const first = await codec.compress({ port: ['80'] });
      expect(first[1] & 0x20).toBe(0x20); // FDICT
      expect(first.readUInt32BE(2)).toBe(adler32(SPDY_DICTIONARY));
      expect(() => zlib.inflateSync(first, { finishFlush: zlib.constants.Z_SYNC_FLUSH })).toThrow(/dictionary/i);
      expect(decodeHeaderBlock(zlib.inflateSync(first, { dictionary: SPDY_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH }))).toEqual({ port: ['80'] });
    } finally {
      codec.close();
    }
  });

  it('lower-cases names and refuses a truncated block', () => {
    expect(decodeHeaderBlock(encodeHeaderBlock({ StreamType: ['data'] }))).toEqual({ streamtype: ['data'] });
    expect(() => decodeHeaderBlock(encodeHeaderBlock({ port: ['8080'] }).subarray(0, 10))).toThrow('SPDY header block truncated');
  });
});

function adler32(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of buf) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}
