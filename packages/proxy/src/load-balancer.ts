// Chooses the endpoint for each new connection to one service port: round robin by default, or
// sticky per client IP (`sessionAffinity: ClientIP`) with an idle timeout, as kube-proxy does.
import type { Clock } from '@coxswain/objects';
import { realClock } from '@coxswain/objects';

export interface Endpoint {
  ip: string;
  port: number;
}

export type SessionAffinity = 'None' | 'ClientIP';

export interface LoadBalancerOptions {
  affinity?: SessionAffinity;
  /** How long a client IP stays stuck to its endpoint without new connections (k8s: 3 h). */
  affinityTimeoutMs?: number;
  clock?: Clock;
}

export const DEFAULT_AFFINITY_TIMEOUT_MS = 3 * 60 * 60 * 1000;

interface Sticky {
  endpoint: string;
  lastUsed: number;
}

export function endpointKey(e: Endpoint): string {
  return `${e.ip}:${e.port}`;
}

export class LoadBalancer {
  private endpoints: Endpoint[] = [];
  private keys: ReadonlySet<string> = new Set();
  private cursor = 0;
  private affinity: SessionAffinity;
  private affinityTimeoutMs: number;
  private readonly sticky = new Map<string, Sticky>();
  private readonly clock: Clock;
  private lastSweep = -Infinity;

  constructor(opts: LoadBalancerOptions = {}) {
    this.affinity = opts.affinity ?? 'None';
    this.affinityTimeoutMs = opts.affinityTimeoutMs ?? DEFAULT_AFFINITY_TIMEOUT_MS;
    this.clock = opts.clock ?? realClock;
  }

  /**
   * Replaces the endpoint list. Order is normalised so that the same set in another order changes
   * nothing; stuck clients keep their endpoint while it still exists.
   */
  setEndpoints(endpoints: readonly Endpoint[]): void {
    const unique = new Map(endpoints.map((e) => [endpointKey(e), { ip: e.ip, port: e.port }]));
    const next = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
    if (sameList(next, this.endpoints)) return;
    this.endpoints = next;
    this.keys = new Set(unique.keys());
    this.cursor = next.length ? this.cursor % next.length : 0;
    for (const [ip, s] of this.sticky) if (!unique.has(s.endpoint)) this.sticky.delete(ip);
  }

  setAffinity(affinity: SessionAffinity, timeoutMs = DEFAULT_AFFINITY_TIMEOUT_MS): void {
    if (affinity !== this.affinity) this.sticky.clear();
    this.affinity = affinity;
    this.affinityTimeoutMs = timeoutMs;
  }

  getEndpoints(): readonly Endpoint[] {
    return this.endpoints;
  }

  /** Whether `endpointKey(e)` is among the current endpoints (a UDP session checks per datagram). */
  has(key: string): boolean {
    return this.keys.has(key);
  }

  /**
   * The endpoint for a new connection from `clientIp`, skipping the keys in `excluded` (endpoints that
   * already failed for this connection). Undefined when none is left.
   */
  next(clientIp: string | undefined, excluded: ReadonlySet<string> = EMPTY): Endpoint | undefined {
    if (this.endpoints.length === 0) return undefined;
    const now = this.clock.now();
    const useAffinity = this.affinity === 'ClientIP' && clientIp !== undefined;
    if (useAffinity) {
      this.sweep(now);
      const s = this.sticky.get(clientIp);
      if (s && now - s.lastUsed > this.affinityTimeoutMs) this.sticky.delete(clientIp);
      else if (s && !excluded.has(s.endpoint)) {
        const e = this.endpoints.find((x) => endpointKey(x) === s.endpoint);
        if (e) {
          s.lastUsed = now;
          return e;
        }
      }
    }
    for (let i = 0; i < this.endpoints.length; i++) {
      const e = this.endpoints[this.cursor];
      this.cursor = (this.cursor + 1) % this.endpoints.length;
      const key = endpointKey(e);
      if (excluded.has(key)) continue;
      if (useAffinity) this.sticky.set(clientIp, { endpoint: key, lastUsed: now });
      return e;
    }
    return undefined;
  }

  /** Drops idle client IPs now and then, so the map does not grow with every client ever seen. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [ip, s] of this.sticky) if (now - s.lastUsed > this.affinityTimeoutMs) this.sticky.delete(ip);
  }
}

const EMPTY: ReadonlySet<string> = new Set();
const SWEEP_INTERVAL_MS = 60_000;

function sameList(a: Endpoint[], b: Endpoint[]): boolean {
  return a.length === b.length && a.every((e, i) => e.ip === b[i].ip && e.port === b[i].port);
}
