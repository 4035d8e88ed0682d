// Talks to a guestbook frontend (coxswain/guestbook) the way its page does: guestbook.php?cmd=get
// and cmd=set, over a minion's host port.
import { httpGet } from './http-get';

const TIMEOUT_MS = 3000;

export interface GuestbookRead {
  version: string;
  messages: string[];
}

/** The frontend on a minion's host port, e.g. 127.0.1.2:8000. */
export class GuestbookClient {
  constructor(readonly hostPort: string) {}

  private async call(query: string): Promise<Record<string, unknown> & { version: string }> {
    const r = await httpGet(`http://${this.hostPort}/guestbook.php?${query}`, TIMEOUT_MS);
    if (r.status !== 200) throw new Error(`guestbook at ${this.hostPort}: HTTP ${r.status} ${r.body.trim()}`);
    const j = JSON.parse(r.body) as Record<string, unknown> & { version: string };
    if (r.headers['x-guestbook-version'] !== j.version) throw new Error(`guestbook at ${this.hostPort}: header and body disagree on the version`);
    return j;
  }

  async read(): Promise<GuestbookRead> {
    const j = await this.call('cmd=get');
    return { version: j.version, messages: j.data as string[] };
  }

  async post(message: string): Promise<void> {
    const j = await this.call(`cmd=set&value=${encodeURIComponent(message)}`);
    if (j.message !== 'Updated') throw new Error(`guestbook at ${this.hostPort}: set answered ${JSON.stringify(j)}`);
  }

  /** The page a browser gets at /. */
  async page(): Promise<string> {
    const r = await httpGet(`http://${this.hostPort}/`, TIMEOUT_MS);
    if (r.status !== 200) throw new Error(`guestbook page at ${this.hostPort}: HTTP ${r.status}`);
    return r.body;
  }
}
