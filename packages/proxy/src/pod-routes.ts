// The pod network across hosts, host-gw style (flannel's host-gw, Kubernetes' 2014 cloud routes):
// every minion's pods live on a routed subnet of the cluster CIDR (spec.podCIDR), and each host
// keeps one route per other minion, `<their podCIDR> via <their address>`, so a pod reaches any
// other pod by its own IP, with its own source IP. The agent runs in the proxy (`--pod-routes`),
// once per host: the proxy already owns the host's packet path (portal rules, the portal route).
//
// What it keeps, and removes on stop:
//   - routes tagged `proto 99` (so a restarted agent lists exactly its own and never doubles one);
//   - IPv4 forwarding on;
//   - nat chain COXSWAIN-POD-NAT, first in POSTROUTING: pod-to-pod traffic inside the cluster CIDR
//     leaves unmasqueraded (ahead of Docker's per-bridge MASQUERADE), pod traffic leaving it is masqueraded;
//   - filter chain COXSWAIN-POD-FORWARD, first in FORWARD: traffic from or to the cluster CIDR is
//     forwarded (Docker's FORWARD policy drops what is not its own).
// A minion whose address is not on this host's link cannot be a next hop: it gets no route, and this
// host's Minion says so (condition NetworkUnavailable, an event) instead of the traffic silently
// going to the default gateway. A minion on this very host (the local multi-minion cluster) needs none.
import type { EventRecorder, Informer } from '@coxswain/client';
import { type Condition, type Minion, type ObjectStore } from '@coxswain/objects';
import type { Logger } from '@coxswain/process';
import { hostExec, type HostExec } from './host-exec';
import { ensureHook, removeHooksAndChain } from './iptables-hooks';
import { DEFAULT_IPTABLES } from './portal-rules';

/** The routing protocol number tagging this agent's routes (iproute2 leaves 99 unnamed). */
export const ROUTE_PROTO = '99';
export const NAT_CHAIN = 'COXSWAIN-POD-NAT';
export const FORWARD_CHAIN = 'COXSWAIN-POD-FORWARD';

/** Where each chain is hooked in: [table, hook, chain]. */
const HOOKS: readonly [string, readonly string[], string][] = [
  ['nat', ['POSTROUTING', '-j', NAT_CHAIN], NAT_CHAIN],
  ['filter', ['FORWARD', '-j', FORWARD_CHAIN], FORWARD_CHAIN],
];

export interface PodRoute {
  cidr: string;
  via: string;
  minion: string;
}

/** The route every other minion with a pod subnet and an address wants on this host. Pure. */
export function wantedRoutes(self: string, minions: readonly Minion[]): PodRoute[] {
  const out: PodRoute[] = [];
  for (const m of minions) {
    const via = m.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const cidr = m.spec?.podCIDR;
    if (m.metadata.name === self || !via || !cidr) continue;
    out.push({ cidr, via, minion: m.metadata.name });
  }
  return out.sort((a, b) => a.cidr.localeCompare(b.cidr));
}

/** `ip -o route show proto 99` lines -> cidr -> next hop. */
export function parseRoutes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) via (\S+)/.exec(line.trim());
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** What `ip -o route get ADDRESS` says of a next hop. */
export function hopKind(routeGet: string): 'local' | 'on-link' | 'off-link' {
  if (/^local /.test(routeGet.trim())) return 'local';
  return / via /.test(routeGet) ? 'off-link' : 'on-link';
}

export interface PodRoutesOptions {
  /** This host's minion. */
  minion: string;
  clusterCidr: string;
  minions: Informer<Minion>;
  store: ObjectStore;
  recorder?: EventRecorder;
  iptables?: string;
  /** Runs a host tool (tests enter a network namespace here). */
  exec?: HostExec;
  /** A full pass this often even without minion events (default 30 s): repairs routes removed by hand. */
  resyncMs?: number;
  logger: Logger;
}

export interface RoutesPass {
  added: string[];
  removed: string[];
  /** Minions that cannot be a next hop from here. */
  offLink: string[];
}

export class PodRoutes {
  private readonly exec: HostExec;
  private readonly iptables: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private again = false;
  private stopped = false;
  private reported = new Set<string>();

  constructor(private readonly opts: PodRoutesOptions) {
    this.exec = opts.exec ?? hostExec;
    this.iptables = opts.iptables ?? DEFAULT_IPTABLES;
  }

  /** Passes on every minion change (coalesced) and every resyncMs; call once the minions have synced. */
  start(): void {
    this.opts.minions.addEventHandler({ onAdd: () => this.kick(), onUpdate: () => this.kick(), onDelete: () => this.kick() });
    this.kick();
    this.timer = setInterval(() => this.kick(), this.opts.resyncMs ?? 30_000);
    this.timer.unref();
  }

  /** Stops passing and removes every route and rule this agent keeps. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await this.remove();
  }

  /** One pass: the host's rules, then the routes made to match the minions. */
  async sync(): Promise<RoutesPass> {
    await this.ensureRules();
    const pass: RoutesPass = { added: [], removed: [], offLink: [] };
    const have = parseRoutes(await this.exec('ip', ['-o', 'route', 'show', 'proto', ROUTE_PROTO]));
    const keep = new Set<string>();
    for (const r of wantedRoutes(this.opts.minion, this.opts.minions.list())) {
      // No route at all to the address (`ip route get` fails) is as far off this link as a gateway.
      const kind = await this.exec('ip', ['-o', 'route', 'get', r.via]).then(hopKind, () => 'off-link' as const);
      if (kind === 'local') continue;
      if (kind === 'off-link') {
        pass.offLink.push(r.minion);
        continue;
      }
      keep.add(r.cidr);
      if (have.get(r.cidr) === r.via) continue;
      await this.exec('ip', ['route', 'replace', r.cidr, 'via', r.via, 'proto', ROUTE_PROTO]);
      pass.added.push(r.cidr);
    }
    for (const cidr of have.keys()) {
      if (keep.has(cidr)) continue;
      await this.exec('ip', ['route', 'del', cidr, 'proto', ROUTE_PROTO]);
      pass.removed.push(cidr);
    }
    if (pass.added.length || pass.removed.length) this.opts.logger.info({ added: pass.added, removed: pass.removed }, 'pod routes changed');
    await this.report(pass.offLink);
    return pass;
  }

  /** Removes this agent's routes, hooks and chains; what is not there is fine. */
  async remove(): Promise<void> {
    for (const cidr of parseRoutes(await this.exec('ip', ['-o', 'route', 'show', 'proto', ROUTE_PROTO]).catch(() => '')).keys()) {
      await this.exec('ip', ['route', 'del', cidr, 'proto', ROUTE_PROTO]).catch(() => undefined);
    }
    for (const [table, hook, chain] of HOOKS) await removeHooksAndChain(this.iptables, table, [hook], chain, this.exec);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sync()
      .catch((err: Error) => this.opts.logger.warn({ err: err.message }, 'pod routes pass failed; retrying on the next change or resync'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Forwarding on, both chains rewritten whole (iptables-restore --noflush: one atomic step each), hooks first in place. */
  private async ensureRules(): Promise<void> {
    await this.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    const c = this.opts.clusterCidr;
    const note = (why: string) => `-m comment --comment "coxswain: ${why}"`;
    await this.exec(
      `${this.iptables}-restore`,
      ['-w', '--noflush'],
      [
        '*nat',
        `:${NAT_CHAIN} - [0:0]`,
        `-A ${NAT_CHAIN} -s ${c} -d ${c} ${note('pod to pod keeps its source IP')} -j ACCEPT`,
        `-A ${NAT_CHAIN} -s ${c} ${note('pod traffic leaving the cluster')} -j MASQUERADE`,
        'COMMIT',
        '*filter',
        `:${FORWARD_CHAIN} - [0:0]`,
        `-A ${FORWARD_CHAIN} -s ${c} ${note('from pods')} -j ACCEPT`,
        `-A ${FORWARD_CHAIN} -d ${c} ${note('to pods')} -j ACCEPT`,
        'COMMIT',
        '',
      ].join('\n'),
    );
    for (const [table, hook] of HOOKS) await ensureHook(this.iptables, table, hook, this.exec);
  }

  /** This host's Minion condition NetworkUnavailable, written when it changes; an event per newly unreachable minion. */
  private async report(offLink: readonly string[]): Promise<void> {
    for (const name of offLink) {
      if (this.reported.has(name)) continue;
      this.opts.recorder?.warning(
        { kind: 'Minion', name: this.opts.minion },
        'MinionNotOnLink',
        `minion ${name} is not on this host's link: no route to its pods from here (host-gw routes need one link)`,
      );
    }
    this.reported = new Set(offLink);
    const wanted: Pick<Condition, 'type' | 'status' | 'reason' | 'message'> = offLink.length
      ? { type: 'NetworkUnavailable', status: 'True', reason: 'MinionNotOnLink', message: `no route to the pods of ${offLink.join(', ')}: not on this host's link` }
      : { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated', message: 'routes to every other minion are in place' };
    const mine = this.opts.minions.get(this.opts.minion);
    const now = mine?.status?.conditions?.find((c) => c.type === 'NetworkUnavailable');
    if (!mine || (now?.status === wanted.status && now.message === wanted.message)) return;
    await this.opts.store.guaranteedUpdate<Minion>(
      'minions',
      undefined,
      this.opts.minion,
      (cur) => {
        const others = (cur.status?.conditions ?? []).filter((c) => c.type !== 'NetworkUnavailable');
        const before = cur.status?.conditions?.find((c) => c.type === 'NetworkUnavailable');
        const at = new Date().toISOString();
        const condition: Condition = { ...wanted, lastTransitionTime: before?.status === wanted.status ? before.lastTransitionTime ?? at : at };
        return { ...cur, status: { ...cur.status, conditions: [...others, condition] } };
      },
      { subresource: 'status' },
    );
  }
}
