// A portal network (`--portal-net`, e.g. 172.30.0.0/24): the IPv4 block service portal IPs come
// from, one address a slot. Offsets count from the network address; the network and broadcast
// addresses are never handed out.
import { ipToNumber, numberToIp, parseBlock } from './ipv4';
import type { SlotRange } from './range-allocator';

export class PortalRange implements SlotRange {
  readonly base: number;
  readonly size: number;

  private constructor(
    readonly cidr: string,
    base: number,
    bits: number,
  ) {
    this.base = base;
    this.size = 2 ** (32 - bits);
  }

  /** Throws a plain Error naming what is wrong (a flag value, checked at start-up). */
  static parse(cidr: string): PortalRange {
    const block = parseBlock(cidr, 8, 30);
    if (typeof block === 'string') throw new Error(`portal network "${cidr}": ${block}, e.g. 172.30.0.0/24`);
    return new PortalRange(cidr, block.base, block.bits);
  }

  /** The offset of `ip` if it may be handed out (inside, neither network nor broadcast), else undefined. */
  offsetOf(ip: string): number | undefined {
    const n = ipToNumber(ip);
    if (n === undefined) return undefined;
    const off = n - this.base;
    return this.usable(off) ? off : undefined;
  }

  valueAt(offset: number): string {
    return numberToIp(this.base + offset);
  }

  usable(offset: number): boolean {
    return offset >= 1 && offset <= this.size - 2;
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
