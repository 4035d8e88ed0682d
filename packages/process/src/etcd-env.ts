// The environment every etcd Coxswain starts runs with: `up`'s and each `join --etcd-member`'s, and
// the tests' and benches' (testing's etcd harness).
//
// GOGC=200: Go's collector runs each time etcd's heap has grown by GOGC % since the last collection.
// At Go's default (100) etcd spent about a third of its CPU collecting in the 150,000-pod density
// (its profile in docs/benchmarks.md), and etcd is the largest user of the cores there. At 200,
// measured in two pairs on this machine: etcd's CPU over the density 28–37 % lower, all 150,000 pods
// Running 13–25 % sooner, for ~45 % more peak memory (2.4 → 3.5 and 2.6 → 3.8 GiB at 150,000 pods; a
// small cluster's etcd holds tens of MiB). A GOGC the user set is kept (decisions.md).
export const ETCD_GOGC = '200';

/** The variables an etcd process gets on top of the caller's environment. */
export function etcdGoEnv(env: NodeJS.ProcessEnv = process.env): { GOGC: string } {
  return { GOGC: env.GOGC ?? ETCD_GOGC };
}
