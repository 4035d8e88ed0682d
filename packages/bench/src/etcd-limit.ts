// The ceiling everything else is held against: raw compare-and-swap transactions per second with the
// etcd3 client on the same etcd, at 1 and at N requests in flight. Each worker owns one key and
// swaps it guarded by its last mod revision (what the store's update sends), with a value the size
// of a stored pod.
import { CompareResult, CompareTarget, type Etcd3 } from 'etcd3';

export interface CasRate {
  inFlight: number;
  txns: number;
  seconds: number;
  perSecond: number;
}

const VALUE = Buffer.from(JSON.stringify({ pad: 'x'.repeat(1400) }));

export async function measureCas(client: Etcd3, inFlight: number, txns: number, prefix = '/bench/limit/'): Promise<CasRate> {
  const keys = Array.from({ length: inFlight }, (_, i) => Buffer.from(`${prefix}${inFlight}/${i}`));
  const revs = await Promise.all(keys.map(async (key) => (await client.kv.put({ key, value: VALUE })).header.revision));
  let left = txns;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    keys.map(async (key, i) => {
      while (left > 0) {
        left--;
        const res = await client.kv.txn({
          compare: [{ key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: revs[i] }],
          success: [{ request_put: { key, value: VALUE } }],
          failure: [],
        });
        if (!res.succeeded) throw new Error('CAS lost on a key only this worker writes');
        revs[i] = res.header.revision;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await client.kv.deleteRange({ key: Buffer.from(prefix), range_end: Buffer.from(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)) });
  return { inFlight, txns, seconds, perSecond: txns / seconds };
}
