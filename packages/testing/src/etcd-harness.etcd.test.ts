import * as fs from 'fs';
import { startEtcd } from './etcd-harness';

jest.setTimeout(60_000);

describe('startEtcd', () => {
  it('starts a working etcd, keeps data across kill+restart on the same endpoint, and cleans up on stop', async () => {
    const etcd = await startEtcd();
    try {
      expect(etcd.endpoints[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const c = etcd.client();
      await c.put('/k').value('v1');
      expect(await c.get('/k').string()).toBe('v1');

      await etcd.kill();
      await expect(c.get('/k').string()).rejects.toThrow();

      await etcd.restart();
      const c2 = etcd.client();
      expect(await c2.get('/k').string()).toBe('v1');
    } finally {
      await etcd.stop();
    }
    expect(fs.existsSync(etcd.dataDir)).toBe(false);
  });

  it('compacts history so old revisions are gone', async () => {
    const etcd = await startEtcd();
    try {
      const c = etcd.client();
      await c.put('/a').value('1');
      const first = (await c.kv.range({ key: Buffer.from('/a') })).kvs[0].mod_revision;
      await c.put('/a').value('2');
      await etcd.compact();
      await expect(c.kv.range({ key: Buffer.from('/a'), revision: first })).rejects.toThrow(/compacted/);
    } finally {
      await etcd.stop();
    }
  });

  it('says how to install etcd when it is not on PATH', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startEtcd()).rejects.toThrow('etcd not found on PATH: install it with `apt-get install -y etcd-server`');
    } finally {
      process.env.PATH = saved;
    }
  });
});
