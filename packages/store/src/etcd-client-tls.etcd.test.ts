// etcd with --client-cert-auth, as `coxswain up` runs it: only a client presenting a certificate
// the cluster's CA signed gets in. Real etcd; the refusals are read from the error each client sees.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureCertificateAuthority, issueEtcdClient } from '@coxswain/process';
import { startEtcd, type EtcdHarness } from '@coxswain/testing';
import { Etcd3 } from 'etcd3';
import { createEtcdClient, etcdClientOptions } from './etcd-client';

describe('etcd with client-certificate auth', () => {
  let etcd: EtcdHarness;
  let otherDir: string;
  beforeAll(async () => {
    etcd = await startEtcd({ tls: true });
    otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coxswain-other-ca-'));
  });
  afterAll(async () => {
    await etcd?.stop();
    fs.rmSync(otherDir, { recursive: true, force: true });
  });

  /** What one get() on a client answers: the value, or the error's message. */
  async function tryGet(client: Etcd3): Promise<string> {
    try {
      return `value: ${await client.get('tls-probe').string()}`;
    } catch (e) {
      return `error: ${(e as Error).message}`;
    } finally {
      client.close();
    }
  }
  const QUICK = { dialTimeoutMs: 2000, callTimeoutMs: 3000 };

  /** One request to etcd's HTTP gateway (what the probe compacted the cluster through): status and body, or the error. */
  function gateway(url: string, options: https.RequestOptions = {}): Promise<string> {
    return new Promise((resolve) => {
      const body = JSON.stringify({ revision: '1', physical: true });
      const req = (url.startsWith('https:') ? https : http).request(`${url}/v3/kv/compaction`, { method: 'POST', timeout: 3000, ...options }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(`${res.statusCode} ${text.trim()}`));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => resolve(`error: ${e.message}`));
      req.end(body);
    });
  }

  it('serves https on its client URL', () => {
    expect(etcd.endpoints[0]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('lets in a client with a certificate from its CA', async () => {
    await etcd.client().put('tls-probe').value('in');
    const component = etcd.tls!.issueClient('scheduler', 'system:coxswain:scheduler');
    expect(await tryGet(createEtcdClient(etcd.endpoints, { ...QUICK, tls: component }))).toBe('value: in');
  });

  it('refuses a client that trusts its CA but presents no certificate', async () => {
    const noCert = new Etcd3({ ...etcdClientOptions(etcd.endpoints, QUICK), credentials: { rootCertificate: fs.readFileSync(etcd.tls!.ca.certFile) } });
    const answer = await tryGet(noCert);
    // etcd ends the TLS handshake with "certificate required" (TLS 1.3) or "bad certificate".
    expect(answer).toMatch(/^error: 14 UNAVAILABLE: .*(certificate required|bad certificate)/);
    expect(answer).not.toContain('value');
  });

  it('refuses a plain-text client, and its HTTP gateway answers nothing without a certificate', async () => {
    const plainUrl = etcd.endpoints[0].replace('https:', 'http:');
    expect(await tryGet(createEtcdClient([plainUrl], QUICK))).toMatch(/^error: 14 UNAVAILABLE: No connection established/);
    // The probe compacted the cluster with one unauthenticated POST; now plain HTTP gets no answer ...
    expect(await gateway(plainUrl)).toMatch(/^error: (socket hang up|read ECONNRESET)/);
    // ... and TLS without a client certificate ends in the handshake.
    expect(await gateway(etcd.endpoints[0], { ca: fs.readFileSync(etcd.tls!.ca.certFile) })).toMatch(/^error: .*(certificate required|bad certificate)/);
    // With a certificate the gateway answers (the compaction itself is refused: revision 1 is long gone or current).
    const c = etcd.tls!.client;
    expect(await gateway(etcd.endpoints[0], { ca: fs.readFileSync(c.caFile), cert: fs.readFileSync(c.certFile), key: fs.readFileSync(c.keyFile) })).toMatch(/^\d{3} /);
  });

  it('refuses a certificate from another CA', async () => {
    const other = issueEtcdClient(ensureCertificateAuthority(otherDir, 'someone-else'), otherDir, 'intruder', 'system:coxswain:apiserver');
    const answer = await tryGet(createEtcdClient(etcd.endpoints, { ...QUICK, tls: { ...other, caFile: etcd.tls!.ca.certFile } }));
    expect(answer).toMatch(/^error: 14 UNAVAILABLE: .*bad certificate/);
  });

  it('keeps the harness working through restart and compaction over TLS', async () => {
    await etcd.restart();
    const client = etcd.client();
    await client.put('after-restart').value('yes');
    expect(await client.get('after-restart').string()).toBe('yes');
    expect(await etcd.compact()).toMatch(/^\d+$/);
  });
});
