// One read of etcd's current revision shared by the callers that want it at the same moment.
//
// A consistent list from the watch cache first asks etcd for its revision (etcd-storage.ts
// currentRevision) and waits until the cache has reached it; admission asks twice per create (a
// namespace's quotas and limit ranges). Under a burst of creates those were thousands of small range
// calls a second on an etcd already short of CPU, and the ones that ran out their deadline were the
// API server's 503s (docs/benchmarks.md, #25). A caller may only share a call that started after it
// asked — an older call could miss a write that completed just before the caller asked — so while one
// call is in flight, everyone who arrives waits for the next one, which starts when it ends and
// serves them all. At most one call is in flight and one waits, however many callers there are.
export class FreshRead<T> {
  private inFlight?: Promise<T>;
  private next?: Promise<T>;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.inFlight) return this.start();
    this.next ??= this.inFlight.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  private startNext(): Promise<T> {
    this.next = undefined;
    // A caller that came between the end of the last read and now may have started one already: it
    // started after these callers asked, so it serves them too.
    return this.inFlight ?? this.start();
  }

  private start(): Promise<T> {
    const call: Promise<T> = this.read().finally(() => {
      if (this.inFlight === call) this.inFlight = undefined;
    });
    this.inFlight = call;
    return call;
  }
}
