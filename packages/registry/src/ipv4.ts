// IPv4 addresses and blocks as numbers: the arithmetic the range allocators share.

/** A block such as 172.30.0.0/16: its first address as a number and its prefix length. */
export interface Ipv4Block {
  base: number;
  bits: number;
}

/** Dotted quad -> number, or undefined when `ip` is not one (leading zeros refused: they read as octal elsewhere). */
export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `cidr` parsed, or the reason it is not an IPv4 block with a prefix from minBits to maxBits and no host bits set. */
export function parseBlock(cidr: string, minBits = 0, maxBits = 32): Ipv4Block | string {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(cidr);
  const ip = m ? ipToNumber(m[1]) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(bits >= minBits && bits <= maxBits)) return `want an IPv4 CIDR from /${minBits} to /${maxBits}`;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  if ((ip & mask) >>> 0 !== ip) return `host bits are set (the network is ${numberToIp((ip & mask) >>> 0)}/${bits})`;
  return { base: ip, bits };
}

/** Whether two blocks share any address. */
export function overlaps(a: Ipv4Block, b: Ipv4Block): boolean {
  const aEnd = a.base + 2 ** (32 - a.bits);
  const bEnd = b.base + 2 ** (32 - b.bits);
  return a.base < bEnd && b.base < aEnd;
}
