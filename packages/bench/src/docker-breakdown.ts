// Where one pod's startup goes on real Docker: the kubelets' Engine API calls (docker-trace.ts) set
// against the bench's own watch times of each pod (scheduled, Running seen). Per pod, the calls of
// its first sync are picked out (the containers list filtered by its name, the creates named after
// it, the start and inspect calls on the IDs those gave, the image inspects just before its creates) and labelled
// in order; each step's median start (from "scheduled seen") and median duration make the table.
import type { DockerCall } from './docker-trace';
import { LatencySamples } from './latency-samples';

export interface PodWatchTimes {
  name: string;
  /** Bench clock (ms since the epoch) when its watch saw the pod scheduled, and Running. */
  scheduled: number;
  running: number;
}

export interface BreakdownStep {
  step: string;
  pods: number;
  /** Medians, ms: from "scheduled seen" to the step's start, and the step's own duration. */
  startP50: number;
  durationP50: number;
  durationP90: number;
}

interface Labelled {
  step: string;
  t0: number;
  t1: number;
}

const SANDBOX = 'POD';

/** The labelled steps of one pod's first sync, or undefined when its calls are not all there. */
export function podSteps(pod: PodWatchTimes, calls: DockerCall[]): Labelled[] | undefined {
  const decoded = calls.map((c) => ({ ...c, path: safeDecode(c.path) }));
  const named = (c: DockerCall, container: string) => c.method === 'POST' && c.path.startsWith('/containers/create') && c.path.includes(`name=coxswain_${container}_${pod.name}_`);
  const list = decoded.find((c) => c.method === 'GET' && c.path.startsWith('/containers/json') && c.path.includes(`=${pod.name}"`));
  const infraCreate = decoded.find((c) => named(c, SANDBOX));
  const appCreate = decoded.find((c) => c.method === 'POST' && c.path.startsWith('/containers/create') && c.path.includes(`_${pod.name}_`) && !named(c, SANDBOX));
  if (!list || !infraCreate?.id || !appCreate?.id) return undefined;
  const on = (id: string, what: 'start' | 'json', after: number) => decoded.find((c) => c.t0 >= after && c.path === `/containers/${id}/${what}`);
  const infraStart = on(infraCreate.id, 'start', infraCreate.t0);
  const appStart = on(appCreate.id, 'start', appCreate.t0);
  if (!infraStart || !appStart) return undefined;
  const infraInspect = on(infraCreate.id, 'json', infraStart.t0);
  const appInspect = on(appCreate.id, 'json', appStart.t0);
  const end = Math.max(appStart.t1, appInspect?.t1 ?? 0);
  const steps: Labelled[] = [
    { step: 'list containers', t0: list.t0, t1: list.t1 },
    { step: 'infra create', t0: infraCreate.t0, t1: infraCreate.t1 },
    { step: 'infra start (network attach)', t0: infraStart.t0, t1: infraStart.t1 },
    { step: 'app create', t0: appCreate.t0, t1: appCreate.t1 },
    { step: 'app start', t0: appStart.t0, t1: appStart.t1 },
  ];
  if (infraInspect && infraInspect.t0 <= end) steps.push({ step: 'infra inspect', t0: infraInspect.t0, t1: infraInspect.t1 });
  if (appInspect) steps.push({ step: 'app inspect', t0: appInspect.t0, t1: appInspect.t1 });
  // An image inspect names no pod: it is this pod's when the next create after it is one of its own.
  const creates = decoded.filter((c) => c.method === 'POST' && c.path.startsWith('/containers/create'));
  const mine = (c: DockerCall) => {
    const next = creates.find((k) => k.t0 >= c.t1);
    return next === infraCreate || next === appCreate;
  };
  const seen = new Map<string, number>();
  for (const c of decoded) {
    if (c.method !== 'GET' || !c.path.startsWith('/images/') || c.t0 < list.t0 || c.t1 > end || !mine(c)) continue;
    const image = c.path.slice('/images/'.length, c.path.lastIndexOf('/json'));
    const n = (seen.get(image) ?? 0) + 1;
    seen.set(image, n);
    steps.push({ step: `image inspect ${image} #${n}`, t0: c.t0, t1: c.t1 });
  }
  steps.sort((a, b) => a.t0 - b.t0);
  // What the kubelet adds: the pod's whole time less the three Engine calls no kubelet can avoid or
  // overlap (the infra container's create and start, the app container's start).
  const unavoidable = [infraCreate, infraStart, appStart].reduce((sum, c) => sum + (c.t1 - c.t0), 0);
  return [
    { step: 'watch: scheduled seen -> kubelet lists the pod', t0: pod.scheduled, t1: list.t0 },
    ...steps,
    { step: 'kubelet: between Engine calls (sum)', t0: list.t0, t1: list.t0 + idle(steps) },
    { step: 'status write + watch -> Running seen', t0: end, t1: pod.running },
    { step: 'scheduled -> Running seen, less infra create+start and app start', t0: pod.scheduled, t1: pod.running - unavoidable },
  ];
}

/** Time within [first start, last end] when no Engine call was in flight: the kubelet's own work and its etcd reads. */
function idle(steps: Labelled[]): number {
  let covered = 0;
  let reach = -Infinity;
  for (const s of steps) {
    const from = Math.max(s.t0, reach);
    if (s.t1 > from) covered += s.t1 - from;
    reach = Math.max(reach, s.t1);
  }
  const span = Math.max(...steps.map((s) => s.t1)) - Math.min(...steps.map((s) => s.t0));
  return Math.max(0, span - covered);
}

function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

export function breakdown(pods: PodWatchTimes[], calls: DockerCall[]): { pods: number; steps: BreakdownStep[] } {
  const per = new Map<string, { start: LatencySamples; duration: LatencySamples; order: number }>();
  let counted = 0;
  for (const pod of pods) {
    const window = calls.filter((c) => c.t0 >= pod.scheduled - 1000 && c.t0 <= pod.running);
    const steps = podSteps(pod, window);
    if (!steps) continue;
    counted++;
    steps.forEach((s, i) => {
      let e = per.get(s.step);
      if (!e) per.set(s.step, (e = { start: new LatencySamples(), duration: new LatencySamples(), order: 0 }));
      e.start.add(s.t0 - pod.scheduled);
      e.duration.add(s.t1 - s.t0);
      e.order += i;
    });
  }
  const steps = [...per.entries()]
    .map(([step, e]) => ({ step, pods: e.start.count, startP50: e.start.percentile(50), durationP50: e.duration.percentile(50), durationP90: e.duration.percentile(90), order: e.order / e.start.count }))
    .sort((a, b) => a.order - b.order)
    .map(({ order: _order, ...s }) => s);
  return { pods: counted, steps };
}

export function breakdownTable(b: { pods: number; steps: BreakdownStep[] }): string {
  const rows = [`| step (${b.pods} pods) | start p50 ms | duration p50 ms | p90 ms |`, '| --- | ---: | ---: | ---: |'];
  for (const s of b.steps) rows.push(`| ${s.step} | ${s.startP50.toFixed(0)} | ${s.durationP50.toFixed(0)} | ${s.durationP90.toFixed(0)} |`);
  return rows.join('\n');
}
