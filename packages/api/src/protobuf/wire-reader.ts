// Protocol Buffers' wire format, read into fields: a varint, a fixed 32/64-bit value, or a
// length-delimited run of bytes (a string, bytes, an embedded message or a map entry). Groups are
// not used by Kubernetes' messages and are refused.
export type WireValue = { kind: 'varint'; value: bigint } | { kind: 'bytes'; value: Buffer } | { kind: 'fixed'; value: Buffer };

export interface WireField {
  number: number;
  value: WireValue;
}

export class ProtobufError extends Error {}

function readVarint(buf: Buffer, at: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = at; i < buf.length && shift < 70n; i++) {
    const byte = buf[i]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, i + 1];
    shift += 7n;
  }
  throw new ProtobufError(`truncated or overlong varint at byte ${at}`);
}

/** Every field of one message, in order (a repeated field appears once per element). */
export function readFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let at = 0;
  while (at < buf.length) {
    const [tag, next] = readVarint(buf, at);
    at = next;
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (number === 0) throw new ProtobufError('field number 0');
    switch (wireType) {
      case 0: {
        const [value, after] = readVarint(buf, at);
        out.push({ number, value: { kind: 'varint', value } });
        at = after;
        break;
      }
      case 1:
      case 5: {
        const size = wireType === 1 ? 8 : 4;
        if (at + size > buf.length) throw new ProtobufError(`truncated fixed field ${number}`);
        out.push({ number, value: { kind: 'fixed', value: buf.subarray(at, at + size) } });
        at += size;
        break;
      }
      case 2: {
        const [length, after] = readVarint(buf, at);
        const end = after + Number(length);
        if (end > buf.length) throw new ProtobufError(`field ${number} runs past the end of the message`);
        out.push({ number, value: { kind: 'bytes', value: buf.subarray(after, end) } });
        at = end;
        break;
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wireType} (field ${number})`);
    }
  }
  return out;
}
