import type { InteractionSet } from './dataset.js';

/** Growable columns of timestamped (user, item, behavior) events, in the order they were read. */
export class EventLog {
  users = new Int32Array(1024);
  items = new Int32Array(1024);
  behaviors = new Uint8Array(1024);
  times = new Float64Array(1024);
  /** Index of the file (or other source) each event came from, to attribute duplicates. */
  sources = new Uint8Array(1024);
  length = 0;

  push(user: number, item: number, behavior: number, time: number, source: number): void {
    if (this.length === this.users.length) this.grow();
    const n = this.length++;
    this.users[n] = user;
    this.items[n] = item;
    this.behaviors[n] = behavior;
    this.times[n] = time;
    this.sources[n] = source;
  }

  private grow(): void {
    const capacity = this.users.length * 2;
    const users = new Int32Array(capacity);
    users.set(this.users);
    this.users = users;
    const items = new Int32Array(capacity);
    items.set(this.items);
    this.items = items;
    const behaviors = new Uint8Array(capacity);
    behaviors.set(this.behaviors);
    this.behaviors = behaviors;
    const times = new Float64Array(capacity);
    times.set(this.times);
    this.times = times;
    const sources = new Uint8Array(capacity);
    sources.set(this.sources);
    this.sources = sources;
  }
}

/** Destination split of a held-out target pair. */
export type HeldOutSplit = 'test' | 'validation';

export interface EventSplitOptions {
  readonly users: number;
  readonly behaviors: number;
  /** Behavior index of the target; its last pairs per user are held out. */
  readonly target: number;
  /**
   * Destinations of each user's last target pairs in time order: `['test', 'validation']` sends
   * the last pair to test and the one before it to validation. At most `count - 1` pairs of a
   * user with `count` target pairs are held out, so each user keeps at least one training pair.
   */
  readonly heldOut: readonly HeldOutSplit[];
  /** Number of sources, for the per-source duplicate counts. */
  readonly sources: number;
}

export interface EventSplit {
  readonly train: InteractionSet[];
  readonly validation: InteractionSet;
  readonly test: InteractionSet;
  /** Events dropped as repeats of an earlier (user, item, behavior), per source. */
  readonly duplicatesBySource: number[];
}

/**
 * Deduplicates events and splits the target behavior by time.
 *
 * Of the events that share (user, item, behavior), the earliest is kept (ties: the first read)
 * and the others count as duplicates of their source. Each user's distinct target pairs are
 * then ordered by the time of their first event, ties broken by reading order, and the last
 * ones are held out in the splits that `options.heldOut` lists. All sets come out sorted by
 * user, then item.
 */
export function splitEvents(log: EventLog, options: EventSplitOptions): EventSplit {
  const order = sortedEventOrder(log, options.users);
  const duplicatesBySource = new Array<number>(options.sources).fill(0);

  // First event of each (user, behavior, item) group, in sorted order.
  const firstEvents: number[] = [];
  for (let n = 0; n < order.length; n++) {
    const e = order[n];
    const previous = n > 0 ? order[n - 1] : -1;
    const repeat =
      previous >= 0 &&
      log.behaviors[previous] === log.behaviors[e] &&
      log.users[previous] === log.users[e] &&
      log.items[previous] === log.items[e];
    if (repeat) duplicatesBySource[log.sources[e]]++;
    else firstEvents.push(e);
  }

  const trainPairs: { users: number[]; items: number[] }[] = [];
  for (let b = 0; b < options.behaviors; b++) trainPairs.push({ users: [], items: [] });
  const heldOutPairs: Record<HeldOutSplit, { users: number[]; items: number[] }> = {
    test: { users: [], items: [] },
    validation: { users: [], items: [] },
  };

  // `firstEvents` is grouped by user, then behavior, so each user's target pairs form one run.
  let n = 0;
  while (n < firstEvents.length) {
    const e = firstEvents[n];
    const behavior = log.behaviors[e];
    if (behavior !== options.target) {
      trainPairs[behavior].users.push(log.users[e]);
      trainPairs[behavior].items.push(log.items[e]);
      n++;
      continue;
    }
    let end = n;
    while (
      end < firstEvents.length &&
      log.behaviors[firstEvents[end]] === behavior &&
      log.users[firstEvents[end]] === log.users[e]
    ) {
      end++;
    }
    const run = firstEvents.slice(n, end);
    const byTime = [...run].sort((a, b) => log.times[a] - log.times[b] || a - b);
    const heldOutCount = Math.min(options.heldOut.length, byTime.length - 1);
    const heldOut = new Set<number>();
    for (let h = 0; h < heldOutCount; h++) {
      const event = byTime[byTime.length - 1 - h];
      heldOut.add(event);
      const destination = heldOutPairs[options.heldOut[h]];
      destination.users.push(log.users[event]);
      destination.items.push(log.items[event]);
    }
    for (const event of run) {
      if (heldOut.has(event)) continue;
      trainPairs[behavior].users.push(log.users[event]);
      trainPairs[behavior].items.push(log.items[event]);
    }
    n = end;
  }

  return {
    train: trainPairs.map((pairs) => toSortedSet(pairs.users, pairs.items)),
    validation: toSortedSet(heldOutPairs.validation.users, heldOutPairs.validation.items),
    test: toSortedSet(heldOutPairs.test.users, heldOutPairs.test.items),
    duplicatesBySource,
  };
}

/** Builds an interaction set from pair lists, sorted by user, then item. */
export function toSortedSet(users: readonly number[], items: readonly number[]): InteractionSet {
  let sorted = true;
  for (let n = 1; n < users.length && sorted; n++) {
    sorted = users[n - 1] < users[n] || (users[n - 1] === users[n] && items[n - 1] <= items[n]);
  }
  if (sorted) return { users: Int32Array.from(users), items: Int32Array.from(items) };

  const order = Array.from(users.keys()).sort((a, b) => users[a] - users[b] || items[a] - items[b]);
  return {
    users: Int32Array.from(order, (n) => users[n]),
    items: Int32Array.from(order, (n) => items[n]),
  };
}

/**
 * Returns event indices sorted by user, behavior, item, time, then reading order. A counting
 * sort by user comes first, so the comparison sort only orders each user's short run.
 */
function sortedEventOrder(log: EventLog, userCount: number): Uint32Array {
  const { behaviors, users, items, times } = log;
  const starts = new Int32Array(userCount + 1);
  for (let n = 0; n < log.length; n++) {
    if (users[n] < 0 || users[n] >= userCount) {
      throw new RangeError(`splitEvents: event ${n} has user ${users[n]}, outside [0, ${userCount}).`);
    }
    starts[users[n] + 1]++;
  }
  for (let u = 0; u < userCount; u++) starts[u + 1] += starts[u];

  const order = new Uint32Array(log.length);
  const cursor = starts.slice(0, userCount);
  for (let n = 0; n < log.length; n++) order[cursor[users[n]]++] = n;

  const compare = (a: number, b: number) =>
    behaviors[a] - behaviors[b] || items[a] - items[b] || times[a] - times[b] || a - b;
  for (let u = 0; u < userCount; u++) {
    if (starts[u + 1] - starts[u] > 1) order.subarray(starts[u], starts[u + 1]).sort(compare);
  }
  return order;
}
