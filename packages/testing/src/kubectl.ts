// The real kubectl (1.32, on the PATH of every machine of this project) pointed at a test's API
// server. A missing kubectl fails the test (ENOENT), it never skips it.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A kubeconfig file for `server` (no credentials: the test server listens on loopback). */
export function kubeconfigFor(server: string, namespace = 'default'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kubeconfig-')), 'config');
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}"}}]\n` +
      `contexts: [{name: c, context: {cluster: c, user: u, namespace: ${namespace}}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n`,
  );
  return file;
}

/** Runs kubectl and resolves with its trimmed stdout; rejects (with stderr in the message) on a non-zero exit. */
export function kubectlRunner(kubeconfig: string) {
  return async (...args: string[]): Promise<string> =>
    (await run('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args], { encoding: 'utf8', timeout: 30_000 })).stdout.trim();
}
