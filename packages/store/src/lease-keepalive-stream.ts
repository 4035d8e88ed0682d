// Every lease keepalive of one etcd client on one LeaseKeepAlive stream, opened when first needed.
// etcd answers each request on the stream with the lease's ID and new TTL, so answers are matched
// to callers by ID. One short stream per keepalive (a gRPC call set up and torn down each time)
// was a large part of a hollow process's profile (5,000 minions renew 500 leases a second), though
// the idle cost of 5,000 minions measured the same without profiling (docs/benchmarks.md, run C).
// A request unanswered by its deadline fails, and the stream is dropped (it may be stuck behind a
// dead connection); the next keepalive opens another. The stream ending fails what it had pending.
import { castGrpcError, type Etcd3, type IDuplexStream, type ILeaseKeepAliveRequest, type ILeaseKeepAliveResponse } from 'etcd3';
import { UnavailableError } from '@coxswain/objects';

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

interface Pending {
  resolve: (res: ILeaseKeepAliveResponse) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

export class LeaseKeepAliveStream {
  private stream?: KeepAliveStream;
  private opening?: Promise<KeepAliveStream>;
  /** Callers waiting for an answer, by lease ID, oldest first (etcd answers a stream's requests in order). */
  private readonly pending = new Map<string, Pending[]>();
  private closed = false;

  constructor(private readonly client: Etcd3) {}

  /** etcd's answer to one keepalive of `id` (TTL 0: etcd no longer has the lease). */
  async keepAlive(id: string, deadline: number): Promise<ILeaseKeepAliveResponse> {
    const stream = await this.open();
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.remove(id, entry);
          reject(new UnavailableError('etcd unavailable (lease keepalive): no answer by the deadline'));
          this.drop(stream, undefined);
        }, Math.max(0, deadline - Date.now())),
      };
      entry.timer.unref?.();
      const queue = this.pending.get(id);
      if (queue) queue.push(entry);
      else this.pending.set(id, [entry]);
      stream.write({ ID: id });
    });
  }

  /** Ends the stream and fails whatever waits on it; no stream is opened after. */
  close(): void {
    this.closed = true;
    if (this.stream) this.drop(this.stream, new UnavailableError('the store is closed'));
  }

  private async open(): Promise<KeepAliveStream> {
    if (this.closed) throw new UnavailableError('the store is closed');
    if (this.stream) return this.stream;
    this.opening ??= this.client.leaseClient.leaseKeepAlive().then(
      (stream) => {
        this.opening = undefined;
        stream.on('data', (res: ILeaseKeepAliveResponse) => this.answer(res));
        stream.on('error', (err: Error) => this.drop(stream, castGrpcError(err)));
        stream.on('end', () => this.drop(stream, new UnavailableError('etcd unavailable (lease keepalive): the stream ended')));
        if (this.closed) {
          this.drop(stream, new UnavailableError('the store is closed'));
          throw new UnavailableError('the store is closed');
        }
        this.stream = stream;
        return stream;
      },
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  private answer(res: ILeaseKeepAliveResponse): void {
    const queue = this.pending.get(String(res.ID));
    const entry = queue?.shift();
    if (!entry) return; // its caller gave up (deadline) already
    if (queue!.length === 0) this.pending.delete(String(res.ID));
    clearTimeout(entry.timer);
    entry.resolve(res);
  }

  private remove(id: string, entry: Pending): void {
    const queue = this.pending.get(id);
    const i = queue?.indexOf(entry) ?? -1;
    if (i >= 0) queue!.splice(i, 1);
    if (queue?.length === 0) this.pending.delete(id);
  }

  /**
   * Forgets `stream` (if it is still the current one) and ends it. With an error, everything pending
   * fails with it; without (a request timed out), the others keep their own deadlines, and answers
   * still arriving on the old stream are delivered.
   */
  private drop(stream: KeepAliveStream, err: unknown): void {
    const current = this.stream === stream;
    if (current) this.stream = undefined;
    // A stream dropped before (a timeout) ends later: what waits now is on its successor.
    if (err !== undefined && (current || this.closed)) {
      const all = [...this.pending.values()].flat();
      this.pending.clear();
      for (const p of all) {
        clearTimeout(p.timer);
        p.reject(err);
      }
    }
    try {
      stream.end();
    } catch {
      // already gone
    }
  }
}
