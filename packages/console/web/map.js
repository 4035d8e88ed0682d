// The cluster map: minions as boxes with their pods inside, a lane of Pending pods with the
// scheduler's reason, services with the pods behind them, controllers and Deployments with
// desired/current/ready, and the events. A box draws its pods only while it is near the viewport
// (near-viewport.js), which keeps 20,000 pods cheap to draw and scroll.
import { h } from 'preact';
import { memo } from 'preact/compat';
import { useMemo, useState } from 'preact/hooks';
import htm from 'htm';
import { apiFetch } from './api.js';
import { useNearViewport } from './near-viewport.js';
import { ServiceLines } from './service-lines.js';
import { endpointTargets, formatQuantity, isReadyMinion, podClass, podRestarts, podsByMinion, quantity, requested, unschedulableReason } from './model.js';

const html = htm.bind(h);

export function ClusterMap({ data, onSelectPod }) {
  const pods = data.pods ?? [];
  // Grouped once per change of the pods: a change of another kind leaves every minion box as it was.
  const byMinion = useMemo(() => podsByMinion(pods), [pods]);
  const minions = [...(data.minions ?? [])].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const pending = byMinion.get('') ?? [];
  // A service picked in the list: lines to its pods on the map, drawn over everything.
  const [picked, setPicked] = useState(undefined);
  const pickedService = picked && (data.services ?? []).find((s) => `${s.metadata.namespace}/${s.metadata.name}` === picked);
  const pickedTargets = pickedService ? endpointTargets((data.endpoints ?? []).find((e) => e.metadata.namespace === pickedService.metadata.namespace && e.metadata.name === pickedService.metadata.name)) : [];
  return html`<div class="map">
    ${pickedService && html`<${ServiceLines} service=${pickedService.metadata.name} podNames=${pickedTargets.map((t) => t.pod).filter(Boolean)} version=${pods} />`}
    <section class="minions" aria-label="minions">
      ${minions.map((m) => html`<${MinionBox} key=${m.metadata.name} minion=${m} pods=${byMinion.get(m.metadata.name) ?? []} onSelectPod=${onSelectPod} />`)}
    </section>
    <section class="lane pending" aria-label="pending pods">
      <h2>Pending (${pending.length})</h2>
      ${pending.slice(0, 200).map(
        (p) => html`<div class="pending-pod" key=${p.metadata.uid} data-pod=${p.metadata.name} onClick=${() => onSelectPod(p)}>
          <b>${p.metadata.name}</b> <span class="reason">${unschedulableReason(p)}</span>
        </div>`,
      )}
      ${pending.length > 200 && html`<div class="more">and ${pending.length - 200} more</div>`}
    </section>
    <aside>
      <${Controllers} controllers=${data.controllers ?? []} deployments=${data.deployments ?? []} />
      <${Services} services=${data.services ?? []} endpoints=${data.endpoints ?? []} picked=${picked} onPick=${(key) => setPicked((p) => (p === key ? undefined : key))} />
      <${Events} events=${data.events ?? []} />
    </aside>
  </div>`;
}

/** Pod squares per row of a box and the height of a row (console.css: 300px box, 12px squares, 2px gaps). */
const PODS_PER_ROW = 21;
const ROW_PX = 14;

/**
 * One box; redrawn only when its minion, its pods or its nearness to the viewport change. Far from
 * the viewport its pods are a placeholder of the height they will take. One click handler for all.
 */
const MinionBox = memo(function MinionBox({ minion, pods, onSelectPod }) {
  const [ref, near] = useNearViewport();
  const ready = isReadyMinion(minion);
  const cap = minion.status?.capacity ?? {};
  const usage = (r) => `${formatQuantity(requested(pods, r), r)} / ${formatQuantity(quantity(cap[r]), r)}`;
  const click = (e) => {
    const name = e.target.closest('[data-pod]')?.getAttribute('data-pod');
    const pod = name && pods.find((p) => p.metadata.name === name);
    if (pod) onSelectPod(pod);
  };
  const height = `min-height:${Math.ceil(pods.length / PODS_PER_ROW) * ROW_PX}px`;
  return html`<div ref=${ref} class=${`minion ${ready ? 'ready' : 'notready'}`} data-minion=${minion.metadata.name} data-count=${pods.length} data-drawn=${near ? '' : undefined}>
    <div class="minion-head">
      <b>${minion.metadata.name}</b> <span class="state">${ready ? 'Ready' : 'NotReady'}</span>
      <span class="res">cpu ${usage('cpu')} · mem ${usage('memory')} · ${pods.length}${cap.pods ? ` / ${cap.pods}` : ''} pods</span>
    </div>
    <div class="pods" style=${height} onClick=${click}>
      ${near && pods.map((p) => {
        const restarts = podRestarts(p);
        return html`<div
          key=${p.metadata.uid}
          class=${podClass(p)}
          data-pod=${p.metadata.name}
          title=${`${p.metadata.namespace}/${p.metadata.name} ${p.status?.phase ?? ''}${restarts ? `, ${restarts} restarts` : ''}`}
        >${restarts > 0 ? html`<i class="restarts">${restarts}</i>` : ''}</div>`;
      })}
    </div>
  </div>`;
});

function Controllers({ controllers, deployments }) {
  const scale = async (rc) => {
    const answer = prompt(`Scale ${rc.metadata.namespace}/${rc.metadata.name} to how many replicas?`, String(rc.spec?.replicas ?? 0));
    if (answer === null) return;
    // The API is the one rule on what a replica count may be: the page sends what was typed.
    const replicas = /^\s*-?\d+\s*$/.test(answer) ? Number(answer) : answer;
    if (!confirm(`Scale ${rc.metadata.name} from ${rc.spec?.replicas} to ${replicas}?`)) return;
    await act(() =>
      apiFetch(`/api/v1/namespaces/${rc.metadata.namespace}/replicationControllers/${rc.metadata.name}`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({ spec: { replicas } }),
      }),
    );
  };
  // A Deployment's replication controllers (one per template revision) are listed under it, not as
  // controllers of their own: the Deployment is what a person scales and watches.
  const ownerOf = (rc) => rc.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment')?.uid;
  const revisions = (d) => controllers.filter((rc) => ownerOf(rc) === d.metadata.uid);
  const owned = new Set(deployments.map((d) => d.metadata.uid));
  return html`<section class="controllers" aria-label="controllers">
    <h2>Controllers</h2>
    ${[...deployments, ...controllers.filter((rc) => !owned.has(ownerOf(rc)))].map((c) => {
      const desired = c.spec?.replicas ?? 0;
      const current = c.status?.replicas ?? 0;
      const ready = c.status?.readyReplicas ?? 0;
      const updated = c.status?.updatedReplicas;
      const done = desired === 0 ? 1 : Math.min(1, (updated ?? ready) / desired);
      return html`<div class="controller" key=${c.metadata.uid} data-controller=${c.metadata.name}>
        <b>${c.kind === 'Deployment' ? 'deploy/' : ''}${c.metadata.name}</b>
        <span class="replicas" data-testid="replicas">${desired} desired · ${current} current · ${ready} ready</span>
        <div class="bar"><div data-testid="progress" style=${`width:${Math.round(done * 100)}%`}></div></div>
        ${c.kind === 'Deployment'
          ? html`<ul class="revisions">${revisions(c).map((rc) => html`<li key=${rc.metadata.uid} data-revision=${rc.metadata.name}>${rc.metadata.name}: ${rc.status?.readyReplicas ?? 0} / ${rc.spec?.replicas ?? 0} ready</li>`)}</ul>`
          : html`<button onClick=${() => scale(c)}>Scale</button>`}
      </div>`;
    })}
  </section>`;
}

function Services({ services, endpoints, picked, onPick }) {
  const eps = new Map(endpoints.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e]));
  return html`<section class="services" aria-label="services">
    <h2>Services</h2>
    ${services.map((s) => {
      const targets = endpointTargets(eps.get(`${s.metadata.namespace}/${s.metadata.name}`));
      const ip = s.spec?.clusterIP ?? s.spec?.portalIP;
      const ports = (s.spec?.ports ?? []).map((p) => p.port).join(',') || s.spec?.port;
      const key = `${s.metadata.namespace}/${s.metadata.name}`;
      return html`<div class=${`service ${picked === key ? 'picked' : ''}`} key=${s.metadata.uid} data-service=${s.metadata.name} title="show lines to its pods" onClick=${() => onPick(key)}>
        <b>${s.metadata.name}</b> <span data-testid="portal">${ip ? `${ip}:` : ':'}${ports}</span>
        <ul>${targets.map((t) => html`<li>→ ${t.pod ?? ''} ${t.ip}:${t.ports.join(',')}</li>`)}</ul>
      </div>`;
    })}
  </section>`;
}

function Events({ events }) {
  const recent = [...events].sort((a, b) => String(b.lastTimestamp ?? '').localeCompare(String(a.lastTimestamp ?? ''))).slice(0, 50);
  return html`<section class="events" aria-label="events">
    <h2>Events</h2>
    ${recent.map(
      (e) => html`<div class=${`event ${e.type === 'Warning' ? 'warning' : ''}`} key=${e.metadata.uid}>
        <b>${e.reason}</b> ${e.involvedObject?.kind}/${e.involvedObject?.name}: ${e.message}${e.count > 1 ? ` (×${e.count})` : ''}
      </div>`,
    )}
  </section>`;
}

/** Runs an action; a refusal shows the API's own message. */
export async function act(fn) {
  try {
    await fn();
  } catch (e) {
    alert(`The API refused: ${e.message}`);
  }
}
