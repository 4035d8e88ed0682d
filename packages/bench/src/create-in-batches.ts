import type { KubeObject, ObjectStore } from '@coxswain/objects';

/** Creates `count` objects, the i-th made by `make(i)`, a thousand per createMany. */
export async function createInBatches<T extends KubeObject>(store: ObjectStore, count: number, make: (i: number) => T): Promise<void> {
  for (let start = 0; start < count; start += 1000) {
    await store.createMany(Array.from({ length: Math.min(1000, count - start) }, (_, j) => make(start + j)));
  }
}
