// Run by jest before each file of the unit project (jest.config.js): unit tests get no etcd, so
// startEtcd() refuses there (etcd-harness.ts reads this variable), even on a machine that has etcd.
process.env.COXSWAIN_UNIT_PROJECT = '1';
