// The certificates of the etcd `coxswain up` starts, kept in <data-dir>/pki (0700, files 0600):
// a CA made on first start, etcd's server certificate for the loopback addresses it listens on, and
// one client certificate per role, its CN naming the role — `system:coxswain:apiserver`,
// `system:coxswain:scheduler`, `system:coxswain:reconcilers` (the other controllers) — or the
// minion whose kubelet and proxy use it, `system:minion:<name>`. A later start reuses them all; a
// host that joins later gets its own with client({ minion }), issued by the API server from this
// directory (its --join-etcd-pki-dir) when the host asks for the join info.
import { join } from 'node:path';
import { ensureCertificateAuthority, etcdServerTLSFlags, issueCertificate, issueEtcdClient, type CertificateAuthority } from './etcd-pki';
import type { EtcdTLS } from './flags';

/** Who holds a client certificate: a control-plane role, or one minion (its kubelet and proxy). */
export type EtcdRole = 'apiserver' | 'scheduler' | 'reconcilers' | { minion: string };

/** The addresses the local etcd listens on by default (its server certificate's SANs). */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost'];

export function etcdRoleCommonName(role: EtcdRole): string {
  return typeof role === 'string' ? `system:coxswain:${role}` : `system:minion:${role.minion}`;
}

export class EtcdCredentials {
  private ca?: CertificateAuthority;

  constructor(readonly dir: string) {}

  /** The CA (made on first use). */
  authority(): CertificateAuthority {
    return (this.ca ??= ensureCertificateAuthority(this.dir));
  }

  /**
   * etcd's own flags: serve https with its certificate for `hosts` (the addresses it is reached at;
   * the certificate is issued again when one is new), and accept only clients this CA signed.
   */
  etcdServerFlags(hosts: string[] = LOOPBACK_HOSTS): string[] {
    return etcdServerTLSFlags(this.authority(), this.dir, hosts);
  }

  /**
   * The certificate of the etcd member `name`, reached at `hosts` by clients and peers (usage peer;
   * issued on first use, and again when a host is new): `up --advertise-address`'s first member and
   * each `join --etcd-member`.
   */
  member(name: string, hosts: string[]): { certFile: string; keyFile: string } {
    return issueCertificate(this.authority(), join(this.dir, 'members'), { name, commonName: `system:etcd-member:${name}`, usage: 'peer', hosts });
  }

  /** The `--etcd-*` files of one role (issued on first use). */
  client(role: EtcdRole): EtcdTLS {
    const name = typeof role === 'string' ? role : `minion.${role.minion}`;
    return issueEtcdClient(this.authority(), join(this.dir, 'clients'), name, etcdRoleCommonName(role));
  }
}
