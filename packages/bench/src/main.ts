// `npm run bench -- [<scenario>] [--quick] [scenario flags]`: the benchmark runner. Each scenario is
// its own module, loaded only when asked for; add one by adding a line to the map below. Without a
// scenario name every scenario runs, in the map's order, with the flags given.

type Scenario = (argv: string[]) => Promise<unknown>;

/** `alias`: a part of another scenario, runnable alone but not run again by the all-scenarios run. */
const scenarios: Record<string, { about: string; load: () => Promise<Scenario>; alias?: boolean }> = {
  store: {
    about: 'creates/s through the registry on EtcdStorage vs raw etcd3 txns in the same run (goal: ratio >= 0.8)',
    load: async () => (await import('./store-bench')).storeBench,
  },
  proxy: {
    about: 'bulk MB/s and p99 round-trip latency through the service proxy vs direct, same run (goals: >= 0.8, < +1 ms)',
    load: async () => (await import('./proxy-bench')).proxyBench,
  },
  rollout: {
    about: 'a Deployment of 1,000 replicas on hollow minions rolled with maxUnavailable 10%: time vs batches x pod startup, fewest Ready pods',
    load: async () => (await import('./rollout-bench')).rolloutBench,
  },
  scale: {
    about: 'etcd/Docker limits, scheduler alone, 1,000 hollow minions x 20 pods, API latency under churn, real Docker, cost per process, metrics pipeline cost (--profile k8s-limits: 5,000 x 30)',
    load: async () => (await import('./scale-bench')).scaleBench,
  },
  metrics: {
    about: 'scale\'s metrics phase alone: its density cluster (1,000 hollow minions x 20 pods), CPU of every process with the metrics pipeline off and on, same run (goal: < 5% added)',
    alias: true,
    load: async () => {
      const { scaleBench } = await import('./scale-bench');
      return (argv: string[]) => scaleBench(['--phases', 'density,metrics', '--no-docker', ...argv]);
    },
  },
  'scrape-cost': {
    about: "one metrics scrape of 1,000 kubelets x 20 pods, CPU at both ends, vs a bare keep-alive GET of each (the floor of any HTTP scrape), same run",
    load: async () => (await import('./scrape-cost-bench')).scrapeCostBench,
  },
  'kubelet-cost': {
    about: 'hollow kubelets alone (their own etcd, pods written bound at once or --rate a second, --processes N): idle cores per minion, CPU ms per pod, a profile that can be read (--cpu-prof)',
    load: async () => (await import('./kubelet-cost-bench')).kubeletCostBench,
  },
  kubectl: {
    about: 'kubectl get pods -A (the server\'s Table) of 20,000 pods vs the plain LIST through kubectl, same run (goal: <= 1.5x)',
    load: async () => (await import('./kubectl-bench')).kubectlBench,
  },
  hosts: {
    about: 'pod-to-pod MB/s across two simulated hosts (netns + dockerd each, the pod routes agent) vs on one host, same run (goal: >= 0.9x)',
    load: async () => (await import('./hosts-bench')).hostsBench,
  },
  'watch-cache': {
    about: "LIST from the API server's watch cache vs a raw etcd range + decode (goal: <= 0.5x); API server RSS before/peak/after 500 and 5,000 watches (goal: after <= 1.2x before)",
    load: async () => (await import('./watch-cache-bench')).watchCacheBench,
  },
  'list-latency': {
    about: 'PUT and watch delivery p99 on an API server alone with 20,000 pods, quiet vs during a LIST-all loop (goals: <= 100 / 50 ms); --compare <checkout> runs its API server beside',
    load: async () => (await import('./list-latency-bench')).listLatencyBench,
  },
  console: {
    about: 'the web console at 20,000 pods (in-memory registry, headless Chromium): first render, JS heap, slowest scroll frame',
    load: async () => (await import('./console-bench')).consoleBench,
  },
};

function usage(): string {
  const lines = Object.entries(scenarios).map(([name, s]) => `  ${name.padEnd(10)} ${s.about}`);
  return `usage: npm run bench -- [<scenario>] [--quick]   (no scenario: all of them)\nscenarios:\n${lines.join('\n')}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    console.log(usage());
    return 0;
  }
  if (name === undefined || name.startsWith('--')) {
    for (const [each, scenario] of Object.entries(scenarios)) {
      if (scenario.alias) continue;
      console.log(`\n=== bench: ${each} ===`);
      const began = Date.now();
      await (await scenario.load())(argv);
      console.log(`=== bench: ${each} took ${((Date.now() - began) / 1000).toFixed(1)} s ===`);
    }
    return 0;
  }
  const scenario = scenarios[name];
  if (!scenario) {
    console.error(`unknown bench scenario "${name}"\n${usage()}`);
    return 2;
  }
  const run = await scenario.load();
  await run(rest);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exit(1);
    },
  );
}
