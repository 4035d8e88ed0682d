// The cluster CIDR (`--cluster-cidr`, default 172.30.0.0/16) cut into one pod subnet per minion
// (`--node-cidr-mask-size`, default /24): the slots the pod CIDR allocator hands out. Subnets that
// overlap a reserved block (the portal network, 172.30.0.0/24 by default) are never handed out.
// The block, slot size and reservations are stored beside the bitmap as one readable string,
// "172.30.0.0/16 /24 except 172.30.0.0/24", so a kubelet reads the range the API server set.
import { numberToIp, overlaps, parseBlock, type Ipv4Block } from './ipv4';
import type { SlotRange } from './range-allocator';

export class PodCidrRange implements SlotRange {
  readonly size: number;
  readonly cidr: string;
  private readonly step: number;
  private readonly reservedSlots: Set<number>;

  private constructor(
    readonly cluster: string,
    private readonly block: Ipv4Block,
    readonly maskSize: number,
    readonly reserved: readonly string[],
  ) {
    this.size = 2 ** (maskSize - block.bits);
    this.step = 2 ** (32 - maskSize);
    this.cidr = `${cluster} /${maskSize}${reserved.length ? ` except ${reserved.join(',')}` : ''}`;
    this.reservedSlots = new Set();
    for (const r of reserved) {
      const rb = parseBlock(r) as Ipv4Block;
      for (let i = 0; i < this.size; i++) if (overlaps(rb, { base: this.slotBase(i), bits: maskSize })) this.reservedSlots.add(i);
    }
  }

  /** From the flags; throws a plain Error naming the flag and what is wrong (checked at start-up). */
  static of(clusterCidr: string, maskSize = 24, reserved: readonly string[] = []): PodCidrRange {
    const block = parseBlock(clusterCidr, 8, 28);
    if (typeof block === 'string') throw new Error(`--cluster-cidr "${clusterCidr}": ${block}, e.g. 172.30.0.0/16`);
    if (!Number.isInteger(maskSize) || maskSize < block.bits || maskSize > 30 || maskSize - block.bits > 16) {
      throw new Error(`--node-cidr-mask-size ${maskSize}: want ${block.bits}..30 and at most 65,536 subnets of ${clusterCidr}`);
    }
    for (const r of reserved) if (typeof parseBlock(r) === 'string') throw new Error(`reserved block "${r}" is not an IPv4 CIDR`);
    return new PodCidrRange(clusterCidr, block, maskSize, reserved.filter((r) => overlaps(block, parseBlock(r) as Ipv4Block)));
  }

  /** Reads the stored form back ("172.30.0.0/16 /24 except 172.30.0.0/24"). */
  static parse(stored: string): PodCidrRange {
    const m = /^(\S+) \/(\d+)(?: except (\S+))?$/.exec(stored);
    if (!m) throw new Error(`stored pod CIDR range "${stored}" is malformed`);
    return PodCidrRange.of(m[1], Number(m[2]), m[3] ? m[3].split(',') : []);
  }

  offsetOf(cidr: string): number | undefined {
    const b = parseBlock(cidr);
    if (typeof b === 'string' || b.bits !== this.maskSize) return undefined;
    const off = (b.base - this.block.base) / this.step;
    return Number.isInteger(off) && off >= 0 && off < this.size && this.usable(off) ? off : undefined;
  }

  valueAt(offset: number): string {
    return `${numberToIp(this.slotBase(offset))}/${this.maskSize}`;
  }

  usable(offset: number): boolean {
    return !this.reservedSlots.has(offset);
  }

  /** How many subnets may be handed out. */
  get capacity(): number {
    return this.size - this.reservedSlots.size;
  }

  /** Why `cidr` cannot be a minion's pod subnet here (undefined: it can, if free). */
  whyNot(cidr: string): string | undefined {
    const b = parseBlock(cidr);
    if (typeof b === 'string') return `must be an IPv4 CIDR such as 172.30.5.0/24: ${b}`;
    if (b.bits !== this.maskSize) return `must be a /${this.maskSize} (the cluster's --node-cidr-mask-size)`;
    if (!overlaps(b, this.block) || b.base < this.block.base) return `is not inside the cluster CIDR ${this.cluster}`;
    if (this.offsetOf(cidr) === undefined) return `overlaps ${this.reserved.join(', ')}, reserved for portal IPs`;
    return undefined;
  }

  private slotBase(i: number): number {
    return this.block.base + i * this.step;
  }
}
