// Keeps portal IPs on this machine: the portal network is routed to a bridge with no ports, which
// drops whatever reaches it (a bridge rather than a dummy device: not every kernel has the dummy
// module). So a packet to a portal IP that no DNAT rule caught — before the proxy's rules exist,
// after they are removed, or to a port no service has — goes nowhere instead of out of the default
// route. A route to a device, not an `unreachable` one: a host process's packet must pass the
// routing lookup before the nat OUTPUT chain can redirect it. Idempotent; `ip route get` shows it.
import { hostExec } from './host-exec';

export const PORTAL_INTERFACE = 'coxswain-portal';

export async function ensurePortalRoute(portalNet: string, iface = PORTAL_INTERFACE): Promise<void> {
  if (!(await hasPortalInterface(iface))) await ip(['link', 'add', iface, 'type', 'bridge']).catch(async (e: Error) => {
    // Another minion's proxy on this host may have added it meanwhile.
    if (!(await hasPortalInterface(iface))) throw e;
  });
  await ip(['link', 'set', iface, 'up']);
  await ip(['route', 'replace', portalNet, 'dev', iface]);
}

/** Whether the portal bridge is on this host (a cluster removes it on stop only if it made it). */
export async function hasPortalInterface(iface = PORTAL_INTERFACE): Promise<boolean> {
  return (await ip(['-o', 'link', 'show', 'dev', iface]).catch(() => '')) !== '';
}

/** Removes the interface (and with it the route). */
export async function removePortalRoute(iface = PORTAL_INTERFACE): Promise<void> {
  await ip(['link', 'del', iface]).catch(() => undefined);
}

/** The device `ip route get` picks for `address`. */
export async function routeDevice(address: string): Promise<string | undefined> {
  const out = await ip(['-o', 'route', 'get', address]);
  return / dev (\S+)/.exec(out)?.[1];
}

function ip(args: string[]): Promise<string> {
  return hostExec('ip', args);
}
