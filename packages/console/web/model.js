// What the views show, derived from the objects as the API serves them (v1). Fields that other kinds
// or versions add (a service's spec.clusterIP, a Deployment's status) are shown when present.

export function isReadyMinion(m) {
  return (m.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function podNode(p) {
  return p.spec?.nodeName || p.status?.host || '';
}

export function podReady(p) {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function podRestarts(p) {
  return (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/** The scheduler's word on a pod it could not place: its PodScheduled=False condition. */
export function unschedulableReason(p) {
  const c = (p.status?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
  return c ? `${c.reason}: ${c.message}` : 'waiting for the scheduler';
}

/** The colour class of a pod: its phase, and for a running pod whether it is ready. */
export function podClass(p) {
  const phase = (p.status?.phase ?? 'Pending').toLowerCase();
  if (p.metadata?.deletionTimestamp) return 'pod terminating';
  return phase === 'running' && !podReady(p) ? 'pod running unready' : `pod ${phase}`;
}

const UNITS = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** A quantity ("500m", "4Gi", "2") as a number. */
export function quantity(q) {
  if (q === undefined || q === null) return 0;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q));
  return m ? Number(m[1]) * (UNITS[m[2]] ?? 1) : 0;
}

/** The sum of a resource's requests over pods. */
export function requested(pods, resource) {
  let sum = 0;
  for (const p of pods) for (const c of p.spec?.containers ?? []) sum += quantity(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]);
  return sum;
}

export function formatQuantity(n, resource) {
  if (resource === 'memory') return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)}Gi` : `${Math.round(n / 1024 ** 2)}Mi`;
  return n < 1 ? `${Math.round(n * 1000)}m` : `${+n.toFixed(2)}`;
}

/** Pods grouped by their minion; unbound pods under ''. */
export function podsByMinion(pods) {
  const by = new Map();
  for (const p of pods) {
    const n = podNode(p);
    if (!by.has(n)) by.set(n, []);
    by.get(n).push(p);
  }
  return by;
}

/** A service's endpoints as pod names (targetRef) or ip:port. */
export function endpointTargets(ep) {
  const out = [];
  for (const s of ep?.subsets ?? []) {
    const ports = (s.ports ?? []).map((p) => p.port);
    for (const a of s.addresses ?? []) out.push({ pod: a.targetRef?.name, ip: a.ip, ports });
  }
  return out;
}
