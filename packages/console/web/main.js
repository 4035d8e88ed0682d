// The console: one KindWatch per kind, the cluster map drawn from what they hold, a filter kept in
// the URL (namespace and label selector; the server checks the selector) and two actions.
import { h, render } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import htm from 'htm';
import { ApiError, apiFetch, getToken, setToken } from './api.js';
import { KindWatch } from './watch.js';
import { ClusterMap } from './map.js';
import { PodPanel } from './pod-panel.js';

const html = htm.bind(h);

/** The kinds watched; a kind whose collection answers 404 (not on this server yet) is left out. */
const KINDS = [
  { name: 'minions', path: () => '/api/v1/minions' },
  { name: 'pods', path: (f) => scoped('/api/v1', 'pods', f), selects: true },
  { name: 'services', path: (f) => scoped('/api/v1', 'services', f), selects: true },
  { name: 'endpoints', path: (f) => scoped('/api/v1', 'endpoints', f) },
  { name: 'controllers', path: (f) => scoped('/api/v1', 'replicationControllers', f), selects: true },
  { name: 'deployments', path: (f) => scoped('/apis/apps/v1', 'deployments', f), selects: true, group: 'apps/v1' },
  { name: 'events', path: (f) => scoped('/api/v1', 'events', f) },
];

function scoped(base, resource, filter) {
  return filter.ns ? `${base}/namespaces/${encodeURIComponent(filter.ns)}/${resource}` : `${base}/${resource}`;
}

function withSelector(path, kind, filter) {
  return kind.selects && filter.selector ? `${path}?labelSelector=${encodeURIComponent(filter.selector)}` : path;
}

/** Starts a KindWatch per kind; returns what stops them all. */
function watchKinds(kinds, filter, onItems, onState) {
  const watches = kinds.map((kind) => {
    const w = new KindWatch(withSelector(kind.path(filter), kind, filter), onItems(kind), onState(kind));
    w.start();
    return w;
  });
  return () => watches.forEach((w) => w.stop());
}

function filterOfUrl() {
  const q = new URLSearchParams(location.search);
  return { ns: q.get('namespace') ?? '', selector: q.get('selector') ?? '' };
}

function App() {
  const [needToken, setNeedToken] = useState(false);
  const [authError, setAuthError] = useState('');
  const [filter, setFilter] = useState(filterOfUrl);
  const [filterError, setFilterError] = useState('');
  const [data, setData] = useState({});
  const [live, setLive] = useState({});
  const [selected, setSelected] = useState(undefined);
  const [ready, setReady] = useState(false);
  const [groups, setGroups] = useState(undefined);
  // One function for the page's life, so that memoised minion boxes are not redrawn for a new one.
  const selectPod = useCallback((p) => setSelected({ ns: p.metadata.namespace, name: p.metadata.name }), []);

  // Ask the API once whether the page may read: a 401 asks for a token.
  useEffect(() => {
    apiFetch('/api/v1/minions').then(
      () => setReady(true),
      (e) => (e instanceof ApiError && e.code === 401 ? setNeedToken(true) : setReady(true)),
    );
  }, []);

  // Kinds of a named group (Deployments in apps/v1) are watched only when the server lists the group.
  useEffect(() => {
    if (!ready) return;
    apiFetch('/apis').then(
      (list) => setGroups(new Set((list.groups ?? []).flatMap((g) => (g.versions ?? []).map((v) => v.groupVersion)))),
      () => setGroups(new Set()),
    );
  }, [ready]);

  // The core kinds start at once; a named group's kinds once /apis has answered (no wait for the rest).
  const onItems = (kind) => (items) => setData((d) => ({ ...d, [kind.name]: [...items.values()] }));
  const onState = (kind) => (state) => setLive((l) => ({ ...l, [kind.name]: state }));
  useEffect(() => (ready ? watchKinds(KINDS.filter((k) => !k.group), filter, onItems, onState) : undefined), [ready, filter]);
  useEffect(() => (ready && groups ? watchKinds(KINDS.filter((k) => k.group && groups.has(k.group)), filter, onItems, onState) : undefined), [ready, filter, groups]);

  if (needToken) {
    const submit = (e) => {
      e.preventDefault();
      setToken(e.target.token.value.trim());
      apiFetch('/api/v1/minions').then(
        () => {
          setNeedToken(false);
          setReady(true);
        },
        (err) => setAuthError(err.message),
      );
    };
    return html`<form class="token" onSubmit=${submit}>
      <h1>Coxswain</h1>
      <p>This API server asks for a bearer token (one from its --token-file). It is kept in this tab only.</p>
      <input name="token" type="password" placeholder="token" autofocus />
      <button type="submit">Open</button>
      ${authError && html`<p class="error" role="alert">${authError}</p>`}
    </form>`;
  }

  // A new filter is checked by the server first: a selector it refuses leaves the view as it was.
  const applyFilter = async (next) => {
    try {
      await apiFetch(withSelector(scoped('/api/v1', 'pods', next), KINDS[1], next));
    } catch (e) {
      setFilterError(`${e.message}`);
      return;
    }
    setFilterError('');
    const q = new URLSearchParams();
    if (next.ns) q.set('namespace', next.ns);
    if (next.selector) q.set('selector', next.selector);
    history.replaceState(null, '', `${location.pathname}${q.toString() ? '?' + q : ''}`);
    setData({});
    setFilter(next);
  };

  const stale = Object.entries(live).filter(([, s]) => !s.live && !s.missing);
  const pods = data.pods ?? [];
  const selectedPod = selected && pods.find((p) => p.metadata.namespace === selected.ns && p.metadata.name === selected.name);
  return html`
    <header>
      <h1>Coxswain</h1>
      <${FilterBar} filter=${filter} onApply=${applyFilter} error=${filterError} />
      <span class="counts" data-testid="counts">${(data.minions ?? []).length} minions · ${pods.length} pods</span>
    </header>
    ${stale.length > 0 &&
    html`<div class="banner stale" role="status" data-testid="stale">
      The view may be stale: ${stale.map(([k, s]) => `${k} (${s.error ?? 'connecting'})`).join(', ')}
    </div>`}
    <main>
      <${ClusterMap} data=${data} onSelectPod=${selectPod} />
      ${selectedPod && html`<${PodPanel} pod=${selectedPod} onClose=${() => setSelected(undefined)} />`}
    </main>
  `;
}

function FilterBar({ filter, onApply, error }) {
  const [ns, setNs] = useState(filter.ns);
  const [selector, setSelector] = useState(filter.selector);
  useMemo(() => {
    setNs(filter.ns);
    setSelector(filter.selector);
  }, [filter]);
  const submit = (e) => {
    e.preventDefault();
    onApply({ ns: ns.trim(), selector: selector.trim() });
  };
  return html`<form class="filter" onSubmit=${submit}>
    <input name="namespace" placeholder="namespace (all)" value=${ns} onInput=${(e) => setNs(e.target.value)} />
    <input name="selector" placeholder="label selector, e.g. name=frontend" value=${selector} onInput=${(e) => setSelector(e.target.value)} />
    <button type="submit">Filter</button>
    ${error && html`<span class="error" role="alert" data-testid="filter-error">${error}</span>`}
  </form>`;
}

render(html`<${App} />`, document.getElementById('app'));
