// A portal network (`--portal-net`, e.g. 172.30.0.0/24): the IPv4 block service portal IPs come
// from. Offsets count from the network address; the network and broadcast addresses are never handed out.

export class PortalRange {
  readonly base: number;
  readonly size: number;

  private constructor(readonly cidr: string, base: number, bits: number) {
    this.base = base;
    this.size = 2 ** (32 - bits);
  }

  /** Throws a plain Error naming what is wrong (a flag value, checked at start-up). */
  static parse(cidr: string): PortalRange {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
    const ip = m ? ipToNumber(m[1]) : undefined;
    const bits = m ? Number(m[2]) : NaN;
    if (ip === undefined || !(bits >= 8 && bits <= 30)) throw new Error(`portal network "${cidr}": want an IPv4 CIDR from /8 to /30, e.g. 172.30.0.0/24`);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((ip & mask) >>> 0 !== ip) throw new Error(`portal network "${cidr}": host bits are set (the network is ${numberToIp((ip & mask) >>> 0)}/${bits})`);
    return new PortalRange(cidr, ip, bits);
  }

  /** The offset of `ip` if it may be handed out (inside, neither network nor broadcast), else undefined. */
  offsetOf(ip: string): number | undefined {
    const n = ipToNumber(ip);
    if (n === undefined) return undefined;
    const off = n - this.base;
    return off >= 1 && off <= this.size - 2 ? off : undefined;
  }

  ipAt(offset: number): string {
    return numberToIp(this.base + offset);
  }

  /** Whether `ip` is not a dotted-quad IPv4 address at all. */
  static isMalformed(ip: string): boolean {
    return ipToNumber(ip) === undefined;
  }

  /** How many addresses may be handed out. */
  get capacity(): number {
    return this.size - 2;
  }
}

/** Dotted quad -> number, or undefined when `ip` is not one (leading zeros refused: they read as octal elsewhere). */
export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
