// A pod's panel: its containers, their state and restarts, the tail of its log followed through the
// API's pods/log, and a delete button (with a confirmation; a refusal shows the API's message).
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';
import { apiFetch, getToken } from './api.js';
import { act } from './map.js';

const html = htm.bind(h);
const LOG_KEEP = 20_000;

export function PodPanel({ pod, onClose }) {
  const { namespace, name } = pod.metadata;
  const [log, setLog] = useState('');
  useEffect(() => {
    const ctl = new AbortController();
    setLog('');
    void followLog(namespace, name, ctl.signal, (chunk) => setLog((l) => (l + chunk).slice(-LOG_KEEP)));
    return () => ctl.abort();
  }, [namespace, name]);
  const remove = () => {
    if (!confirm(`Delete pod ${namespace}/${name}?`)) return;
    void act(() => apiFetch(`/api/v1/namespaces/${namespace}/pods/${name}`, { method: 'DELETE' }));
  };
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((c) => [c.name, c]));
  return html`<section class="pod-panel" aria-label="pod">
    <h2>${namespace}/${name} <button class="close" onClick=${onClose}>×</button></h2>
    <p>${pod.status?.phase} on ${pod.spec?.nodeName || '(not scheduled)'} ${pod.status?.podIP ?? ''}</p>
    <table>
      <tr><th>container</th><th>image</th><th>state</th><th>restarts</th></tr>
      ${(pod.spec?.containers ?? []).map((c) => {
        const s = statuses.get(c.name);
        const state = s?.state ? Object.keys(s.state)[0] : 'unknown';
        return html`<tr key=${c.name}><td>${c.name}</td><td>${c.image}</td><td>${state}${s?.ready ? ' (ready)' : ''}</td><td>${s?.restartCount ?? 0}</td></tr>`;
      })}
    </table>
    <button class="danger" onClick=${remove}>Delete pod</button>
    <pre class="log">${log}</pre>
  </section>`;
}

async function followLog(namespace, name, signal, onChunk) {
  try {
    const res = await fetch(`/api/v1/namespaces/${namespace}/pods/${name}/log?follow=true&tailLines=100`, {
      signal,
      headers: getToken() ? { Authorization: `Bearer ${getToken()}` } : {},
    });
    if (!res.ok || !res.body) return onChunk(`(no log: ${res.status} ${(await res.text()).slice(0, 200)})\n`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onChunk(value);
    }
  } catch (e) {
    if (!signal.aborted) onChunk(`(log ended: ${e.message})\n`);
  }
}
