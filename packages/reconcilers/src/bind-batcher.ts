// Group commit for bindings: the scheduler's workers each ask for one binding, and GroupCommit sends
// them to etcd several to a transaction (store.bindMany). See @coxswain/store's group-commit.ts.
import type { Binding } from '@coxswain/objects';
import { GroupCommit } from '@coxswain/client';

export interface BindBatcherOptions {
  bindMany: (bindings: Binding[]) => Promise<(Error | undefined)[]>;
  /** Bindings per transaction. etcd allows 128 ops per txn by default, and a binding is 2. Default 50. */
  maxBatch?: number;
  /** Transactions in flight at once. Default 4 (scheduler alone at 5,000 minions: 2 gave 2,840-3,467 pods/s, 4 gave 3,421-3,452). */
  maxInFlight?: number;
}

export class BindBatcher {
  private readonly group: GroupCommit<Binding, undefined>;

  constructor(opts: BindBatcherOptions) {
    this.group = new GroupCommit({ commit: opts.bindMany, maxBatch: opts.maxBatch ?? 50, maxInFlight: opts.maxInFlight ?? 4 });
  }

  /** Transactions sent and bindings carried (for /healthz and tests). */
  get stats(): { batches: number; bindings: number } {
    return { batches: this.group.stats.batches, bindings: this.group.stats.requests };
  }

  /** Resolves once the pod is bound; rejects with the store's error for this binding alone. */
  bind(binding: Binding): Promise<void> {
    return this.group.submit(binding);
  }
}
