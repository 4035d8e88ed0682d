import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EtcdCredentials } from './etcd-credentials';
import { ensureCertificateAuthority, etcdMemberTLSFlags, etcdServerTLSFlags, issueCertificate, issueEtcdClient } from './etcd-pki';

const mode = (file: string) => fs.statSync(file).mode & 0o777;
const cert = (file: string) => new X509Certificate(fs.readFileSync(file));

describe('etcd certificates (openssl)', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'coxswain-pki-')), 'pki');
  });
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('makes a CA once, in a 0700 directory with 0600 files, and keeps it', () => {
    const ca = ensureCertificateAuthority(dir, 'test-ca');
    expect(mode(dir)).toBe(0o700);
    expect([mode(ca.certFile), mode(ca.keyFile)]).toEqual([0o600, 0o600]);
    const first = cert(ca.certFile);
    expect(first.ca).toBe(true);
    expect(first.subject).toBe('CN=test-ca');
    expect(cert(ensureCertificateAuthority(dir, 'test-ca').certFile).fingerprint256).toBe(first.fingerprint256);
  });

  it("issues a client certificate the CA signed, naming the role in its CN", () => {
    const ca = ensureCertificateAuthority(dir);
    const tls = issueEtcdClient(ca, path.join(dir, 'clients'), 'minion.minion-1', 'system:minion:minion-1');
    const c = cert(tls.certFile);
    expect(tls.caFile).toBe(ca.certFile);
    expect(c.subject).toBe('CN=system:minion:minion-1');
    expect(c.ca).toBe(false);
    expect(c.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth
    expect(c.verify(cert(ca.certFile).publicKey)).toBe(true);
    expect(c.checkPrivateKey(createPrivateKey(fs.readFileSync(tls.keyFile)))).toBe(true);
    expect([mode(tls.certFile), mode(tls.keyFile), mode(path.join(dir, 'clients'))]).toEqual([0o600, 0o600, 0o700]);
    // Not signed by another CA.
    const other = ensureCertificateAuthority(path.join(dir, 'other'));
    expect(c.verify(cert(other.certFile).publicKey)).toBe(false);
  });

  it("gives etcd a server certificate for the addresses it listens on, and the flags that demand client certificates", () => {
    const ca = ensureCertificateAuthority(dir);
    const flags = etcdServerTLSFlags(ca, dir, ['127.0.0.1', 'localhost']);
    expect(flags).toEqual(['--client-cert-auth', '--trusted-ca-file', ca.certFile, '--cert-file', path.join(dir, 'etcd-server.crt'), '--key-file', path.join(dir, 'etcd-server.key')]);
    const s = cert(path.join(dir, 'etcd-server.crt'));
    expect(s.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(s.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth
    expect(s.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('issues a kept certificate again when it no longer fits: a new address for etcd, or another CA', () => {
    const ca = ensureCertificateAuthority(dir);
    const serverCert = path.join(dir, 'etcd-server.crt');
    etcdServerTLSFlags(ca, dir, ['127.0.0.1']);
    const first = cert(serverCert).fingerprint256;
    etcdServerTLSFlags(ca, dir, ['127.0.0.1']);
    expect(cert(serverCert).fingerprint256).toBe(first);
    etcdServerTLSFlags(ca, dir, ['127.0.0.1', '10.213.0.11']);
    expect(cert(serverCert).subjectAltName).toBe('IP Address:127.0.0.1, IP Address:10.213.0.11');
    const other = ensureCertificateAuthority(path.join(dir, 'other'));
    const client = issueEtcdClient(other, dir, 'apiserver', 'system:coxswain:apiserver');
    expect(cert(client.certFile).verify(cert(other.certFile).publicKey)).toBe(true);
    expect(cert(issueEtcdClient(ca, dir, 'apiserver', 'system:coxswain:apiserver').certFile).verify(cert(ca.certFile).publicKey)).toBe(true);
    expect([mode(serverCert), mode(path.join(dir, 'etcd-server.key')), mode(client.keyFile)]).toEqual([0o600, 0o600, 0o600]);
  });

  it('refuses a file name or CN that would escape its directory or the subject', () => {
    const ca = ensureCertificateAuthority(dir);
    expect(() => issueCertificate(ca, dir, { name: '../x', commonName: 'x', usage: 'client' })).toThrow(`certificate name "../x": letters, digits, '.', '_' and '-' only`);
    expect(() => issueCertificate(ca, dir, { name: 'x', commonName: 'a/CN=b', usage: 'client' })).toThrow(`certificate commonName "a/CN=b": give a name without '/' or newlines`);
  });

  it("issues an etcd member's certificate for both of its ends (serving clients and peers, dialing peers), and the member flags trust the CA", () => {
    const pki = new EtcdCredentials(dir);
    const member = pki.member('host-2', ['10.213.0.12']);
    const c = cert(member.certFile);
    expect(c.subject).toBe('CN=system:etcd-member:host-2');
    expect([...c.keyUsage].sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // serverAuth, clientAuth
    expect(c.checkIP('10.213.0.12')).toBe('10.213.0.12');
    expect(c.verify(cert(pki.authority().certFile).publicKey)).toBe(true);
    const flags = etcdMemberTLSFlags(pki.authority().certFile, member);
    expect(flags[flags.indexOf('--trusted-ca-file') + 1]).toBe(pki.authority().certFile);
    expect(flags[flags.indexOf('--peer-trusted-ca-file') + 1]).toBe(pki.authority().certFile);
    expect(flags[flags.indexOf('--peer-cert-file') + 1]).toBe(member.certFile);
    expect(flags).toContain('--peer-client-cert-auth');
    // Asked again for the same address: the same certificate; for a new one: issued again.
    expect(cert(pki.member('host-2', ['10.213.0.12']).certFile).fingerprint256).toBe(c.fingerprint256);
    expect(cert(pki.member('host-2', ['10.213.0.22']).certFile).checkIP('10.213.0.22')).toBe('10.213.0.22');
  });
});
