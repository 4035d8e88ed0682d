// What the store's watches share: a queue of undelivered events read from a moving head (no
// O(n) shift per event, compacted as it drains), and the async iterator every Watch hands out.

export class EventQueue<E> {
  private items: (E | undefined)[] = [];
  private head = 0;

  /** Events waiting. */
  get length(): number {
    return this.items.length - this.head;
  }

  push(event: E): void {
    this.items.push(event);
  }

  /** The next event, left in the queue. */
  peek(): E | undefined {
    return this.items[this.head];
  }

  shift(): E | undefined {
    if (this.head >= this.items.length) return undefined;
    const event = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) this.clear();
    else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return event;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** A watch's iterator: `next` from the watch; leaving a for-await loop early closes the watch. */
export function watchIterator<E>(next: () => Promise<IteratorResult<E>>, close: () => void): AsyncIterator<E> {
  return {
    next,
    return: async () => {
      close();
      return { done: true, value: undefined };
    },
  };
}
