// How admission reads a namespace's policies (its ResourceQuotas and LimitRanges): on every create,
// and a namespace's quotas on every delete.
//
// Read as consistent lists, each asked etcd for its current revision and waited for the API server's
// watch cache to reach it: on a busy server that was most of a POST's time (docs/benchmarks.md,
// "Admission reads policies from the cache"). Kubernetes' admission plugins read them from informers,
// as they happen to be. Here they are read from the cache at least as new as the newest policy this
// registry wrote: a quota or limit range written through this API server binds the very next create,
// with no round trip when the cache already has it (it nearly always has); one written through another
// API server binds once this one's cache has it, a watch's delay later — as in Kubernetes. A quota's
// usage is never taken from this read: each charge is a compare-and-swap on the stored quota (quota.ts).
// Storage without a cache (the reconcilers' registries, on etcd) reads the newest state anyway.
import { resourcePrefix, type KubeObject, type LimitRange, type ResourceQuota, type Storage } from '@coxswain/objects';

const POLICY_KINDS: ReadonlySet<string> = new Set(['ResourceQuota', 'LimitRange']);

export class PolicyReads {
  /** The newest revision at which this registry wrote a policy (0: none yet). */
  private written = 0n;

  constructor(private readonly storage: Storage) {}

  /** Notes an object this registry stored or deleted (its resourceVersion that write's revision). */
  noteWrite(obj: KubeObject): void {
    const rv = obj.metadata?.resourceVersion;
    if (!POLICY_KINDS.has(obj.kind) || !rv || !/^[0-9]+$/.test(rv)) return;
    if (BigInt(rv) > this.written) this.written = BigInt(rv);
  }

  quotasOf(namespace: string): Promise<ResourceQuota[]> {
    return this.read<ResourceQuota>('resourcequotas', namespace);
  }

  limitRangesOf(namespace: string): Promise<LimitRange[]> {
    return this.read<LimitRange>('limitranges', namespace);
  }

  private async read<T extends KubeObject>(resource: 'resourcequotas' | 'limitranges', namespace: string): Promise<T[]> {
    return (await this.storage.list<T>(resourcePrefix(resource, namespace), { minRevision: this.written.toString() })).items;
  }
}
