// Runs the host's network tools (ip, iptables, iptables-restore) for the proxy's kernel-side
// state: one place for the timeout and for errors that name the command and what it printed.
import { execFile } from 'node:child_process';

/** How a host tool is run: hostExec, or (tests) the same entered into a network namespace. */
export type HostExec = (file: string, args: readonly string[], input?: string) => Promise<string>;

/** Runs `file args` (stdin: `input`), resolving with stdout; rejects with the command and its stderr. */
export const hostExec: HostExec = (file, args, input) =>
  new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
