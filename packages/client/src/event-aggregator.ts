// Similar events folded into one, as Kubernetes' EventAggregator does: events that differ only in
// their message (same source, involved object, type and reason — "Created pod: web-x1", "Created pod:
// web-x2", ...) stay apart for the first `maxSimilar` distinct messages within `windowMs`; after that
// they are written as one event, "(combined from similar events): <latest message>", whose count
// grows. A controller making 20,000 pods thus writes 10 SuccessfulCreate events and one combined one,
// not 20,000.
import { realClock, type Clock } from '@coxswain/objects';

export const COMBINED_PREFIX = '(combined from similar events): ';

export interface EventAggregatorOptions {
  /** Distinct messages kept apart before the rest are combined (Kubernetes: 10). */
  maxSimilar?: number;
  /** A group quiet for this long starts again from zero (Kubernetes: 10 min). */
  windowMs?: number;
  /** Groups remembered, least recently seen dropped first (Kubernetes: 4096). */
  maxGroups?: number;
  clock?: Clock;
}

interface Group {
  messages: Set<string>;
  lastSeen: number;
}

export class EventAggregator {
  private readonly maxSimilar: number;
  private readonly windowMs: number;
  private readonly maxGroups: number;
  private readonly clock: Clock;
  /** Insertion order is recency order: a group seen again is moved to the end. */
  private readonly groups = new Map<string, Group>();

  constructor(opts: EventAggregatorOptions = {}) {
    this.maxSimilar = opts.maxSimilar ?? 10;
    this.windowMs = opts.windowMs ?? 10 * 60_000;
    this.maxGroups = opts.maxGroups ?? 4096;
    this.clock = opts.clock ?? realClock;
  }

  /**
   * `group` identifies source, involved object, type and reason. Returns the message to record:
   * the same one, or the combined form once the group has seen `maxSimilar` distinct messages.
   */
  aggregate(group: string, message: string): { message: string; combined: boolean } {
    const now = this.clock.now();
    let g = this.groups.get(group);
    if (g) this.groups.delete(group);
    if (!g || now - g.lastSeen > this.windowMs) g = { messages: new Set(), lastSeen: now };
    g.lastSeen = now;
    this.groups.set(group, g);
    if (this.groups.size > this.maxGroups) this.groups.delete(this.groups.keys().next().value!);
    // Only the first maxSimilar messages are remembered: that is all the decision needs.
    if (g.messages.has(message)) return { message, combined: false };
    if (g.messages.size < this.maxSimilar) {
      g.messages.add(message);
      return { message, combined: false };
    }
    return { message: COMBINED_PREFIX + message, combined: true };
  }
}
