// The hooks that send packets from a built-in iptables chain into one of the proxy's own chains,
// and the chains themselves: put in once each (first in their built-in chain), and taken out with
// every copy. Shared by the portal rules and the pod routes agent.
import { hostExec, type HostExec } from './host-exec';

/** A hook: the built-in chain first, then the rule's match and `-j OWN-CHAIN`, e.g. ['FORWARD', '-j', 'X']. */
export type Hook = readonly string[];

/** Inserts `hook` at the top of its built-in chain unless it is there already. */
export async function ensureHook(iptables: string, table: string, hook: Hook, exec: HostExec = hostExec): Promise<void> {
  if (await succeeds(exec, iptables, ['-w', '-t', table, '-C', ...hook])) return;
  await exec(iptables, ['-w', '-t', table, '-I', hook[0], '1', ...hook.slice(1)]);
}

/** Deletes every copy of each hook, then flushes and deletes `chain`; what is not there is fine. */
export async function removeHooksAndChain(iptables: string, table: string, hooks: readonly Hook[], chain: string, exec: HostExec = hostExec): Promise<void> {
  for (const hook of hooks) {
    for (let i = 0; i < 16 && (await succeeds(exec, iptables, ['-w', '-t', table, '-D', ...hook])); i++);
  }
  await exec(iptables, ['-w', '-t', table, '-F', chain]).catch(() => undefined);
  await exec(iptables, ['-w', '-t', table, '-X', chain]).catch(() => undefined);
}

function succeeds(exec: HostExec, file: string, args: readonly string[]): Promise<boolean> {
  return exec(file, args).then(
    () => true,
    () => false,
  );
}
