// Group commit: many callers each ask for one write, and the writes go to etcd several to a
// transaction through a batch call (store.bindMany, store.createMany). A request made while few
// transactions are in flight goes out at once (no added latency when idle); under load the next
// batch fills up while the previous ones are in flight, so one etcd round trip carries many writes.

export interface GroupCommitOptions<Req, Res> {
  /** Writes a batch; answers one entry per request, an Error for a request that failed. */
  commit: (requests: Req[]) => Promise<(Res | Error)[]>;
  /** Requests per batch (mind etcd's 128 ops per txn). Default 50. */
  maxBatch?: number;
  /** Batches in flight at once. Default 2. */
  maxInFlight?: number;
}

interface Waiter<Req, Res> {
  request: Req;
  resolve: (res: Res) => void;
  reject: (err: Error) => void;
}

export class GroupCommit<Req, Res> {
  private readonly pending: Waiter<Req, Res>[] = [];
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  /** Batches sent and requests carried (for /healthz and tests). */
  readonly stats = { batches: 0, requests: 0 };

  constructor(private readonly opts: GroupCommitOptions<Req, Res>) {
    this.maxBatch = opts.maxBatch ?? 50;
    this.maxInFlight = opts.maxInFlight ?? 2;
  }

  /** Resolves with this request's answer; rejects with its own error, or the batch call's. */
  submit(request: Req): Promise<Res> {
    return this.submitAll([request])[0];
  }

  /**
   * submit() for several requests at once: they are queued together before any goes out, so an idle
   * batcher sends them in one batch rather than the first alone (one promise per request).
   */
  submitAll(requests: readonly Req[]): Promise<Res>[] {
    const promises = requests.map((request) => new Promise<Res>((resolve, reject) => this.pending.push({ request, resolve, reject })));
    this.pump();
    return promises;
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight++;
      this.stats.batches++;
      this.stats.requests += batch.length;
      let call: Promise<(Res | Error)[]>;
      try {
        call = this.opts.commit(batch.map((w) => w.request)); // at once: a lone request waits for nothing
      } catch (err) {
        call = Promise.reject(err);
      }
      call
        .then(
          (results) =>
            batch.forEach((w, i) => {
              const r = results[i];
              if (r instanceof Error) w.reject(r);
              else w.resolve(r);
            }),
          (err: Error) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}

const shared = new WeakMap<object, Map<string, GroupCommit<unknown, unknown>>>();

/**
 * The GroupCommit that every writer on `store` shares for one kind of write (`purpose`), made by
 * `make` on first use: writers on one store (a kubelet's pod workers; the hollow minions of a bench
 * process, 100 to an etcd connection) fill each other's transactions.
 */
export function sharedGroupCommit<Req, Res>(store: object, purpose: string, make: () => GroupCommit<Req, Res>): GroupCommit<Req, Res> {
  let byPurpose = shared.get(store);
  if (!byPurpose) shared.set(store, (byPurpose = new Map()));
  let commit = byPurpose.get(purpose) as GroupCommit<Req, Res> | undefined;
  if (!commit) byPurpose.set(purpose, (commit = make()) as GroupCommit<unknown, unknown>);
  return commit;
}
