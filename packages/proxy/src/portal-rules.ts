// The kernel side of portal IPs (kube-proxy's userspace mode of autumn 2014): in the nat table, a
// chain of this minion's own, COXSWAIN-PORTALS-<minion>, redirects `portalIP:port` to the port this
// proxy listens on for that service port. Two hooks jump to it: PREROUTING for packets from this
// minion's pods (matched by its pod network, so minions sharing a host never catch each other's
// pods) and OUTPUT for processes on the host. The chain is rewritten whole with iptables-restore
// --noflush (one atomic step; declaring the chain flushes it), so a restarted proxy converges on
// the services it watches with nothing stale or doubled. Docker's chains are never touched.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostExec } from './host-exec';
import { ensureHook, removeHooksAndChain } from './iptables-hooks';

export const DEFAULT_IPTABLES = '/usr/sbin/iptables';

export interface PortalRule {
  portalIP: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  /** Where this proxy listens for the service port. */
  proxyAddress: string;
  proxyPort: number;
}

export interface PortalRulesOptions {
  minion: string;
  /** The minion's pod network: PREROUTING catches only its pods. */
  podCIDR: string;
  iptables?: string;
}

/** iptables limits chain names to 28 characters: a long minion name is shortened with a hash. */
export function portalChainName(minion: string): string {
  const name = `COXSWAIN-PORTALS-${minion}`;
  if (name.length <= 28) return name;
  return `COXSWAIN-PORTALS-${createHash('sha256').update(minion).digest('hex').slice(0, 11)}`;
}

export class PortalRules {
  readonly chain: string;
  private readonly iptables: string;
  private readonly restore: string;
  private readonly hooks: string[][];

  constructor(private readonly opts: PortalRulesOptions) {
    this.chain = portalChainName(opts.minion);
    this.iptables = opts.iptables ?? DEFAULT_IPTABLES;
    this.restore = `${this.iptables}-restore`;
    this.hooks = [
      ['PREROUTING', '-s', opts.podCIDR, '-j', this.chain],
      ['OUTPUT', '-j', this.chain],
    ];
  }

  /** Throws a clear error when iptables cannot be run (not installed, not root). */
  async check(): Promise<void> {
    if (!existsSync(this.iptables)) throw new Error(`portal IPs need iptables: ${this.iptables} not found (apt-get install iptables)`);
    await hostExec(this.iptables, ['-w', '-t', 'nat', '-S', 'OUTPUT']).catch((e: Error) => {
      throw new Error(`portal IPs need iptables in the nat table: ${e.message.trim()}`);
    });
  }

  /** Makes the chain hold exactly `rules` and the hooks exist once each. */
  async sync(rules: readonly PortalRule[]): Promise<void> {
    const lines = ['*nat', `:${this.chain} - [0:0]`];
    for (const r of [...rules].sort(byRule)) {
      const proto = r.protocol.toLowerCase();
      lines.push(
        `-A ${this.chain} -d ${r.portalIP}/32 -p ${proto} -m ${proto} --dport ${r.port} -m comment --comment "coxswain portal" -j DNAT --to-destination ${r.proxyAddress}:${r.proxyPort}`,
      );
    }
    lines.push('COMMIT', '');
    await hostExec(this.restore, ['-w', '--noflush'], lines.join('\n'));
    for (const hook of this.hooks) await ensureHook(this.iptables, 'nat', hook);
  }

  /** Removes the hooks (every copy) and the chain; a chain that is not there is fine. */
  async remove(): Promise<void> {
    await removeHooksAndChain(this.iptables, 'nat', this.hooks, this.chain);
  }
}

function byRule(a: PortalRule, b: PortalRule): number {
  return a.portalIP.localeCompare(b.portalIP) || a.protocol.localeCompare(b.protocol) || a.port - b.port;
}
