// The certificates that guard etcd: one CA per cluster, a server certificate for etcd and one client
// certificate per role (the API server, the scheduler, the other reconcilers, each minion's kubelet
// and proxy). etcd runs with --client-cert-auth, so only a holder of a certificate this CA signed
// can read or write the cluster.
//
// Made with the `openssl` CLI (OpenSSL 1.1.1 or later): Node's crypto makes keys but not X.509
// certificates, and openssl is what an operator inspects or rotates these files with anyway (no
// npm dependency holds our key material). Keys are ECDSA P-256 (fast to make, accepted by etcd's Go
// TLS and by gRPC). Every file is 0600 in a 0700 directory; existing files are kept, so a second
// start reuses the CA and its certificates — unless a certificate no longer fits (another CA, or a
// server address its SANs lack), which is issued again.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { EtcdTLS } from './flags';

/** A CA's certificate and key files. */
export interface CertificateAuthority {
  certFile: string;
  keyFile: string;
}

export interface CertificateRequest {
  /** Files are `<name>.crt` and `<name>.key` in the directory. */
  name: string;
  /** The subject's CN: names the role or minion (`system:coxswain:apiserver`, `system:minion:minion-1`). */
  commonName: string;
  /**
   * client: a component dialing etcd; server: etcd itself (then `hosts` are its SANs); peer: a
   * member of an etcd cluster, serving its clients and peers and dialing its peers (both uses).
   */
  usage: 'client' | 'server' | 'peer';
  /** IP addresses and DNS names the server is reached at. */
  hosts?: string[];
  /** Default 3650. */
  days?: number;
}

const CA_NAME = 'ca';
const DEFAULT_DAYS = 3650;

/** The directory for key material: made 0700 (and tightened to 0700 if it exists). */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

function writeKey(file: string): void {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  chmodSync(file, 0o600); // a file that was there keeps its mode through writeFileSync
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('openssl was not found on PATH: install it with `sudo apt-get install -y openssl` (it makes etcd\'s certificates)');
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/** The CA in `dir` (`ca.crt`, `ca.key`), made when absent. */
export function ensureCertificateAuthority(dir: string, commonName = 'coxswain-etcd-ca'): CertificateAuthority {
  privateDir(dir);
  const ca = { certFile: join(dir, `${CA_NAME}.crt`), keyFile: join(dir, `${CA_NAME}.key`) };
  if (existsSync(ca.certFile) && existsSync(ca.keyFile)) return ca;
  writeKey(ca.keyFile);
  openssl([
    'req', '-x509', '-new', '-key', ca.keyFile, '-out', ca.certFile, '-days', String(DEFAULT_DAYS), '-subj', `/CN=${commonName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  chmodSync(ca.certFile, 0o600);
  return ca;
}

function extensions(req: CertificateRequest): string {
  const lines = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];
  lines.push(`extendedKeyUsage=${{ server: 'serverAuth', client: 'clientAuth', peer: 'serverAuth,clientAuth' }[req.usage]}`);
  const hosts = req.hosts ?? [];
  if (hosts.length) lines.push(`subjectAltName=${hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}`);
  return lines.join('\n') + '\n';
}

/** True when the certificate in `certFile` was signed by `ca` and names every one of `hosts`. */
function stillFits(certFile: string, ca: CertificateAuthority, hosts: readonly string[]): boolean {
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    if (!cert.verify(new X509Certificate(readFileSync(ca.certFile)).publicKey)) return false;
    return hosts.every((h) => (isIP(h) ? cert.checkIP(h) : cert.checkHost(h)) !== undefined);
  } catch {
    return false; // unreadable or not a certificate: make a new one
  }
}

/**
 * A certificate signed by `ca`, in `dir` as `<name>.crt` / `<name>.key`; kept when both exist and it
 * still fits (signed by `ca`, every one of `hosts` in its SANs).
 * `coxswain up` issues one per component; a host joining later gets its own the same way.
 */
export function issueCertificate(ca: CertificateAuthority, dir: string, req: CertificateRequest): { certFile: string; keyFile: string } {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(req.name)) throw new Error(`certificate name "${req.name}": letters, digits, '.', '_' and '-' only`);
  if (!req.commonName || /[/\n]/.test(req.commonName)) throw new Error(`certificate commonName "${req.commonName}": give a name without '/' or newlines`);
  privateDir(dir);
  const out = { certFile: join(dir, `${req.name}.crt`), keyFile: join(dir, `${req.name}.key`) };
  if (existsSync(out.certFile) && existsSync(out.keyFile) && stillFits(out.certFile, ca, req.hosts ?? [])) return out;
  writeKey(out.keyFile);
  const work = mkdtempSync(join(dir, '.issue-'));
  try {
    const csr = join(work, 'req.csr');
    const ext = join(work, 'ext.cnf');
    writeFileSync(ext, extensions(req), { mode: 0o600 });
    openssl(['req', '-new', '-key', out.keyFile, '-out', csr, '-subj', `/CN=${req.commonName}`]);
    openssl([
      'x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', `0x${randomSerial()}`,
      '-days', String(req.days ?? DEFAULT_DAYS), '-extfile', ext, '-out', out.certFile,
    ]);
    chmodSync(out.certFile, 0o600);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/**
 * etcd's flags to serve https with a certificate for `hosts` (the addresses it listens on) and to
 * accept only clients whose certificate `ca` signed.
 */
export function etcdServerTLSFlags(ca: CertificateAuthority, dir: string, hosts: string[]): string[] {
  const server = issueCertificate(ca, dir, { name: 'etcd-server', commonName: 'coxswain-etcd', usage: 'server', hosts });
  return ['--client-cert-auth', '--trusted-ca-file', ca.certFile, '--cert-file', server.certFile, '--key-file', server.keyFile];
}

/**
 * The flags of a member of a TLS etcd cluster: clients and peers both present certificates the CA
 * in `caFile` signed; the member's own `cert` (usage peer) serves both ports.
 */
export function etcdMemberTLSFlags(caFile: string, cert: { certFile: string; keyFile: string }): string[] {
  return [
    '--client-cert-auth', '--trusted-ca-file', caFile, '--cert-file', cert.certFile, '--key-file', cert.keyFile,
    '--peer-client-cert-auth', '--peer-trusted-ca-file', caFile, '--peer-cert-file', cert.certFile, '--peer-key-file', cert.keyFile,
  ];
}

/** A client certificate for `commonName`, with the CA file a client needs to check etcd: the three `--etcd-*` files. */
export function issueEtcdClient(ca: CertificateAuthority, dir: string, name: string, commonName: string): EtcdTLS {
  const { certFile, keyFile } = issueCertificate(ca, dir, { name, commonName, usage: 'client' });
  return { caFile: ca.certFile, certFile, keyFile };
}

function randomSerial(): string {
  // 16 random bytes with the top bit clear: a positive serial, unique per certificate.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}
