// Group commit for bindings: the scheduler's workers each ask for one binding, and the batcher sends
// them to etcd several to a transaction (store.bindMany). A binding asked for while few are in
// flight goes out at once (no added latency when idle); under load the next batch fills up while
// the previous ones are in flight, so one etcd round trip carries many pods.
import type { Binding } from '@coxswain/store';

export interface BindBatcherOptions {
  bindMany: (bindings: Binding[]) => Promise<(Error | undefined)[]>;
  /** Bindings per transaction. etcd allows 128 ops per txn by default, and a binding is 2. Default 50. */
  maxBatch?: number;
  /** Transactions in flight at once. Default 2. */
  maxInFlight?: number;
}

interface Waiter {
  binding: Binding;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class BindBatcher {
  private readonly pending: Waiter[] = [];
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  /** Transactions sent and bindings carried (for /healthz and tests). */
  readonly stats = { batches: 0, bindings: 0 };

  constructor(private readonly opts: BindBatcherOptions) {
    this.maxBatch = opts.maxBatch ?? 50;
    this.maxInFlight = opts.maxInFlight ?? 2;
  }

  /** Resolves once the pod is bound; rejects with the store's error for this binding alone. */
  bind(binding: Binding): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ binding, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight++;
      this.stats.batches++;
      this.stats.bindings += batch.length;
      this.opts
        .bindMany(batch.map((w) => w.binding))
        .then(
          (results) => batch.forEach((w, i) => (results[i] ? w.reject(results[i]!) : w.resolve())),
          (err: Error) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
