import type { InteractionSet } from './dataset.js';

/**
 * Items of each user in compressed sparse row form: user u's items are
 * `items[offsets[u]] .. items[offsets[u + 1] - 1]`, sorted ascending and deduplicated.
 */
export interface UserItemIndex {
  readonly offsets: Int32Array;
  readonly items: Int32Array;
}

/** Groups the pairs of one or more sets by user, merging and deduplicating them. */
export function indexByUser(users: number, sets: readonly InteractionSet[]): UserItemIndex {
  const counts = new Int32Array(users + 1);
  for (const set of sets) {
    for (let n = 0; n < set.users.length; n++) counts[set.users[n] + 1]++;
  }
  for (let u = 0; u < users; u++) counts[u + 1] += counts[u];

  const cursor = counts.slice(0, users);
  const raw = new Int32Array(counts[users]);
  for (const set of sets) {
    for (let n = 0; n < set.users.length; n++) raw[cursor[set.users[n]]++] = set.items[n];
  }

  // Sorts each user's run, then compacts away duplicates. Writing never overtakes reading
  // because `write <= read` throughout.
  const offsets = new Int32Array(users + 1);
  let write = 0;
  for (let u = 0; u < users; u++) {
    raw.subarray(counts[u], counts[u + 1]).sort();
    offsets[u] = write;
    let previous = -1;
    for (let read = counts[u]; read < counts[u + 1]; read++) {
      const item = raw[read];
      if (item !== previous) raw[write++] = item;
      previous = item;
    }
  }
  offsets[users] = write;
  return { offsets, items: raw.slice(0, write) };
}

/** Tests whether `item` is among user `user`'s items, by binary search. */
export function userHasItem(index: UserItemIndex, user: number, item: number): boolean {
  let low = index.offsets[user];
  let high = index.offsets[user + 1] - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const value = index.items[mid];
    if (value === item) return true;
    if (value < item) low = mid + 1;
    else high = mid - 1;
  }
  return false;
}
