// Unit tests of what EtcdWatch reports as progress, driven at the level where etcd's watch responses
// arrive (the gRPC duplex stream the etcd3 library hands out). A real etcd cannot be made to reorder a
// progress notification deterministically (etcd-io/etcd#15220 is a race under load), so the stream is
// scripted here; the watch's behaviour against a real etcd is in store.etcd.test.ts.
import { EventEmitter } from 'node:events';
import type { Etcd3, IEvent, IWatchRequest, IWatchResponse } from 'etcd3';
import { EtcdWatch, EtcdWatchOptions } from './etcd-watch';
import { encodeObject } from '@coxswain/objects';
import { Informer, Backoff } from '@coxswain/client';
import { createLogger } from '@coxswain/process';
import { eventually } from '@coxswain/testing';
import type { KubeObject, WatchEvent } from '@coxswain/objects';

const logger = createLogger('etcd-watch-test');
logger.level = 'silent';

function pod(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' } };
}

const PREFIX = '/registry/pods/default/';

/** A put of `name` at revision `rev` (created at `created`, default the same revision). */
function put(name: string, rev: number, created = rev): IEvent {
  return {
    type: 'Put',
    kv: {
      key: Buffer.from(PREFIX + name),
      value: encodeObject(pod(name)),
      create_revision: String(created),
      mod_revision: String(rev),
      version: '1',
      lease: '0',
    },
  } as unknown as IEvent;
}

function response(revision: number, extra: Partial<IWatchResponse> = {}): IWatchResponse {
  return {
    header: { cluster_id: '1', member_id: '1', revision: String(revision), raft_term: '1' },
    watch_id: '0',
    created: false,
    canceled: false,
    compact_revision: '0',
    cancel_reason: '',
    fragment: false,
    events: [],
    ...extra,
  } as IWatchResponse;
}

/** One watch stream as the etcd3 library hands it out: writes are recorded, responses are scripted. */
class ScriptedStream extends EventEmitter {
  requests: IWatchRequest[] = [];
  write(req: IWatchRequest): boolean {
    this.requests.push(req);
    return true;
  }
  end(): void {}
  cancel(): void {}
  pause(): void {}
  resume(): void {}
  send(res: IWatchResponse): void {
    this.emit('data', res);
  }
  /** The start revision the watch asked etcd for. */
  get startRevision(): string {
    return String(this.requests.find((r) => r.create_request)!.create_request!.start_revision);
  }
}

/** A client whose every watch stream is scripted; `onOpen` may answer the create request. */
function scriptedClient(onOpen: (s: ScriptedStream) => void = () => undefined) {
  const streams: ScriptedStream[] = [];
  const client = {
    watchClient: {
      watch: async () => {
        const s = new ScriptedStream();
        streams.push(s);
        const write = s.write.bind(s);
        s.write = (req) => {
          const r = write(req);
          if (req.create_request) setImmediate(() => onOpen(s));
          return r;
        };
        return s;
      },
    },
  } as unknown as Etcd3;
  return { client, streams };
}

const tick = () => new Promise((r) => setImmediate(r));

const until = (cond: () => boolean, what: string) => eventually(cond, 3000, what, 5);

async function open(opts: Partial<EtcdWatchOptions> = {}) {
  const { client, streams } = scriptedClient();
  const progress: string[] = [];
  const w = new EtcdWatch(client, {
    prefix: PREFIX,
    progressIntervalMs: 0,
    logger,
    onProgress: (r) => progress.push(r),
    ...opts,
  });
  await until(() => streams.length === 1 && streams[0].requests.length > 0, 'the create request');
  const it = w[Symbol.asyncIterator]();
  const take = async (): Promise<WatchEvent> => (await it.next()).value as WatchEvent;
  return { w, s: streams[0], progress, take };
}

describe('EtcdWatch progress', () => {
  it('reports the last delivered revision, not a progress header ahead of undelivered events', async () => {
    const { w, s, progress, take } = await open({ afterRevision: '10' });
    expect(s.startRevision).toBe('11');
    s.send(response(10, { created: true }));
    s.send(response(15)); // etcd is at 15; nothing delivered yet
    expect(progress).toEqual(['10']);

    s.send(response(12, { events: [put('a', 11), put('b', 12)] }));
    s.send(response(20)); // both events are still in the watch's queue
    expect(progress).toEqual(['10', '10']);

    expect((await take()).object.metadata.name).toBe('a');
    s.send(response(20));
    expect((await take()).object.metadata.name).toBe('b');
    s.send(response(20));
    expect(progress).toEqual(['10', '10', '11', '12']);
    w.close();
  });

  it('counts a revision shared by several events only once its last event is out', async () => {
    const { w, s, progress, take } = await open({ afterRevision: '10' });
    s.send(response(10, { created: true }));
    s.send(response(12, { events: [put('a', 11), put('b', 11), put('c', 12)] }));
    await take(); // a@11; b@11 is still queued
    s.send(response(12));
    await take(); // b@11
    s.send(response(12));
    await take(); // c@12
    s.send(response(12));
    expect(progress).toEqual(['10', '11', '12']);
    w.close();
  });

  it('counts filtered-out events once nothing before them is undelivered', async () => {
    const { w, s, progress, take } = await open({
      afterRevision: '10',
      filter: (o) => o.metadata.name.startsWith('x'),
    });
    s.send(response(10, { created: true }));
    s.send(response(11, { events: [put('other', 11)] }));
    s.send(response(11));
    expect(progress).toEqual(['11']);

    s.send(response(13, { events: [put('x1', 12), put('other2', 13)] }));
    s.send(response(13));
    expect(progress).toEqual(['11', '11']); // x1 not taken yet, so 13 is not vouched for either
    expect((await take()).object.metadata.name).toBe('x1');
    s.send(response(13));
    expect(progress).toEqual(['11', '11', '13']);
    w.close();
  });

  it('a watch from "now" starts from the revision etcd created it at', async () => {
    const { w, s, progress } = await open();
    expect(s.startRevision).toBe('0');
    s.send(response(7, { created: true }));
    await expect(w.ready).resolves.toBe('7');
    s.send(response(9));
    expect(progress).toEqual(['7']);
    w.close();
  });
});

describe('EtcdWatch resumption through an informer', () => {
  it('loses no event when a progress notification overtook queued events and the stream then dropped', async () => {
    // A fake etcd history: a@2 existed at list time; b@3 and c@4 are written while the watch runs.
    const history: IEvent[] = [put('a', 2)];
    const { client, streams } = scriptedClient((s) => {
      const start = BigInt(s.startRevision);
      const head = Number(history[history.length - 1].kv.mod_revision);
      s.send(response(Number(start) - 1, { created: true }));
      const replay = history.filter((e) => BigInt(e.kv.mod_revision) >= start);
      if (replay.length) s.send(response(head, { events: replay }));
    });
    const inf = new Informer<KubeObject>({
      name: 'resume-test',
      logger,
      backoff: new Backoff({ initialMs: 5, maxMs: 20, jitter: 0 }),
      listWatch: {
        list: async () => ({ items: [pod('a')].map((p) => ({ ...p, metadata: { ...p.metadata, resourceVersion: '2' } })), resourceVersion: '2' }),
        watch: (o) =>
          new EtcdWatch(client, { prefix: PREFIX, afterRevision: o.resourceVersion, onProgress: o.onProgress, progressIntervalMs: 0, logger }),
      },
    });
    inf.start();
    try {
      await inf.waitForSync();
      await until(() => streams.length === 1 && streams[0].listenerCount('data') > 0, 'the first watch');
      const first = streams[0];
      expect(first.startRevision).toBe('3');
      await tick();

      history.push(put('b', 3), put('c', 4));
      first.send(response(3, { events: [history[1]] }));
      await until(() => inf.get('default/b') !== undefined, 'b');
      // etcd 3.4.23: the answer to a progress request says 4, while c@4 is still queued for this watcher.
      first.send(response(4));
      await tick();
      // The connection drops before c@4 is sent.
      first.emit('error', new Error('Connection dropped'));

      await until(() => streams.length === 2, 'the resumed watch');
      await until(() => streams[1].requests.length > 0, 'the resumed create request');
      expect(streams[1].startRevision).toBe('4');
      await until(() => inf.get('default/c') !== undefined, 'c after the resume');
      expect(inf.keys().sort()).toEqual(['default/a', 'default/b', 'default/c']);
      expect(inf.revision).toBe('4');
    } finally {
      await inf.stop();
    }
  });
});
