// Flags every component binary shares, read one way everywhere: bad input is refused with one line
// that names the flag and says what was expected. (Durations: parseDuration in @coxswain/objects,
// which kubecfg shares.)
import { accessSync, constants } from 'node:fs';

const ETCD_EXAMPLE = 'http://127.0.0.1:2379';

/**
 * The etcd client URLs of `--etcd-servers URL[,URL...]`: split on commas, trimmed, blanks dropped.
 * A list is taken as already split (tests and embedders pass one) and checked the same way.
 * Refuses an empty list and anything that is not an http(s) URL.
 */
export function parseEtcdServers(value: string | readonly string[] | undefined): string[] {
  const flag = '--etcd-servers';
  const parts = typeof value === 'string' ? value.split(',') : (value ?? []);
  const urls = parts.map((s) => s.trim()).filter(Boolean);
  if (urls.length === 0) throw new Error(`${flag}: give at least one etcd client URL, e.g. ${ETCD_EXAMPLE}`);
  for (const url of urls) {
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      // not a URL at all: refused below with the same message
    }
    if (protocol !== 'http:' && protocol !== 'https:') throw new Error(`${flag}: "${url}" is not an http(s) URL (e.g. ${ETCD_EXAMPLE})`);
  }
  return urls;
}

/** The files of `--etcd-cafile --etcd-certfile --etcd-keyfile` (kube-apiserver's names): TLS with a client certificate. */
export interface EtcdTLS {
  /** The CA that signed etcd's server certificate. */
  caFile: string;
  /** This component's client certificate and its key. */
  certFile: string;
  keyFile: string;
}

export interface EtcdTLSFlags {
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
}

/** The command-line flags that give a component `servers` and, with TLS, its three files: what parseEtcdTLS reads back. */
export function etcdClientFlags(servers: readonly string[], tls?: EtcdTLS): string[] {
  const files = tls ? ['--etcd-cafile', tls.caFile, '--etcd-certfile', tls.certFile, '--etcd-keyfile', tls.keyFile] : [];
  return ['--etcd-servers', servers.join(','), ...files];
}

/**
 * The three `--etcd-*` TLS flags: all or none (none: plain http). Each must name a readable file,
 * and with TLS every `--etcd-servers` URL must be https (etcd would see a TLS hello on a plain port).
 */
export function parseEtcdTLS(flags: EtcdTLSFlags, servers: readonly string[]): EtcdTLS | undefined {
  const given = { '--etcd-cafile': flags.etcdCafile, '--etcd-certfile': flags.etcdCertfile, '--etcd-keyfile': flags.etcdKeyfile };
  const named = Object.entries(given).filter(([, v]) => v);
  if (named.length === 0) return undefined;
  const missing = Object.keys(given).filter((k) => !given[k as keyof typeof given]);
  if (missing.length) throw new Error(`${missing.join(', ')}: give all three of --etcd-cafile, --etcd-certfile and --etcd-keyfile, or none`);
  for (const [flag, file] of named) {
    try {
      accessSync(file!, constants.R_OK);
    } catch {
      throw new Error(`${flag}: cannot read "${file}"`);
    }
  }
  const plain = servers.find((url) => new URL(url).protocol !== 'https:');
  if (plain) throw new Error(`--etcd-servers: "${plain}" is not https, but --etcd-cafile/--etcd-certfile/--etcd-keyfile ask for TLS`);
  return { caFile: flags.etcdCafile!, certFile: flags.etcdCertfile!, keyFile: flags.etcdKeyfile! };
}
