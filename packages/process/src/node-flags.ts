// The node flags every long-running Coxswain process starts with (the supervisor of `coxswain up` and
// `join`, the bench's cluster, the container image's entrypoint).
//
// --no-memory-reducer: V8's memory reducer, made for idle browser tabs, runs a full mark-compact of the
// whole heap when a burst of allocation is followed by a quiet spell, to hand memory back. A server's
// work comes in bursts (a metrics scrape every 15 s, a resync, a burst of watch events), and with the
// API server's watch cache or a hollow process's 500 kubelets in the heap each such collection cost
// 1-3 CPU seconds, several times the work that set it off (docs/benchmarks.md, #23). Without it the
// heap is still collected when allocation asks for it, as Go's collector works for Kubernetes.
export const SERVER_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];
