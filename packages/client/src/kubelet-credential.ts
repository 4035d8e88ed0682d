// The bearer secret that proves a request to a kubelet comes from the control plane (the API server
// proxying logs, the metrics scrapers). `coxswain up` writes it once into its data directory with
// mode 0600 and passes the file to the API server, the replication manager and each kubelet only;
// users never see it (docs/kubelet.md, docs/decisions.md "Kubelet authentication").
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

/** Reads the secret; a missing, unreadable or empty file is an error naming the file. */
export function readKubeletCredential(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`kubelet credential file ${file}: ${(e as Error).message}`);
  }
  const credential = text.trim();
  if (!/^[\x21-\x7e]{16,}$/.test(credential)) throw new Error(`kubelet credential file ${file}: expected one printable token of 16 or more characters`);
  return credential;
}

/** A fresh 256-bit secret, readable by its owner only. */
export function writeKubeletCredential(file: string): void {
  writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
}

/** The header a control-plane request to a kubelet carries (none without a credential). */
export function kubeletAuthHeaders(credential: string | undefined): Record<string, string> {
  return credential === undefined ? {} : { authorization: `Bearer ${credential}` };
}
