// Runs the host's network tools (ip, iptables, iptables-restore) for the proxy's kernel-side
// state: one place for the timeout and for errors that name the command and what it printed.
import { execFile } from 'node:child_process';

/** Runs `file args` (stdin: `input`), resolving with stdout; rejects with the command and its stderr. */
export function hostExec(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Whether `file args` succeeds (an iptables -C check). */
export function hostCheck(file: string, args: readonly string[]): Promise<boolean> {
  return hostExec(file, args).then(
    () => true,
    () => false,
  );
}
