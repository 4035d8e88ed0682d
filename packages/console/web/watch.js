// One kind, kept current: a list, then a WebSocket watch from the list's resourceVersion (the API's
// v1 watch, as @coxswain/client's WatchClient speaks it). A lost connection resumes from the last
// revision seen (events or bookmarks); a 410 (the revision compacted away) relists.
import { apiFetch, tokenProtocols } from './api.js';

const RETRY_MS = [200, 500, 1000, 2000];

export class KindWatch {
  /**
   * @param {string} path     the collection, e.g. /api/v1/pods
   * @param {(items: Map<string, object>) => void} onChange  the whole set after every change
   * @param {(state: {live: boolean, error?: string, missing?: boolean}) => void} onState
   */
  constructor(path, onChange, onState) {
    this.path = path;
    this.onChange = onChange;
    this.onState = onState;
    this.items = new Map();
    this.rv = undefined;
    this.retries = 0;
    this.stopped = false;
    this.socket = undefined;
  }

  start() {
    void this.relist();
  }

  stop() {
    this.stopped = true;
    this.socket?.close();
  }

  async relist() {
    if (this.stopped) return;
    let list;
    try {
      list = await apiFetch(this.path);
    } catch (e) {
      if (e.code === 404) return this.onState({ live: false, missing: true });
      this.onState({ live: false, error: e.message });
      return this.retryLater(() => this.relist());
    }
    this.items = new Map((list.items ?? []).map((o) => [keyOf(o), o]));
    this.rv = list.metadata?.resourceVersion;
    this.onChange(this.items);
    this.openWatch();
  }

  openWatch() {
    if (this.stopped) return;
    const url = new URL(this.path.replace(/\/([^/]+)$/, '/watch/$1'), location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.rv) url.searchParams.set('resourceVersion', this.rv);
    const ws = new WebSocket(url, tokenProtocols());
    this.socket = ws;
    let expired = false;
    ws.onopen = () => {
      this.retries = 0;
      this.onState({ live: true });
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      const rv = msg.object?.metadata?.resourceVersion;
      if (msg.type === 'ERROR') {
        expired = msg.object?.code === 410;
        return;
      }
      if (rv) this.rv = rv;
      if (msg.type === 'BOOKMARK') return;
      const key = keyOf(msg.object);
      if (msg.type === 'DELETED') this.items.delete(key);
      else this.items.set(key, msg.object);
      this.onChange(this.items);
    };
    ws.onclose = () => {
      if (this.stopped || this.socket !== ws) return;
      this.onState({ live: false, error: `the watch on ${this.path} was lost; resuming` });
      if (expired) this.rv = undefined;
      this.retryLater(() => (this.rv ? this.openWatch() : this.relist()));
    };
  }

  retryLater(fn) {
    const ms = RETRY_MS[Math.min(this.retries++, RETRY_MS.length - 1)];
    setTimeout(() => !this.stopped && fn(), ms);
  }
}

export function keyOf(o) {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
}
