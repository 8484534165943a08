import { describe, expect, it } from 'vitest';

import { indexByUser, userHasItem } from './user_index.js';

const set = (pairs: [number, number][]) => ({
  users: Int32Array.from(pairs, ([user]) => user),
  items: Int32Array.from(pairs, ([, item]) => item),
});

describe('indexByUser', () => {
  it('groups, sorts and deduplicates items per user', () => {
    const index = indexByUser(4, [
      set([[2, 5], [0, 3], [2, 1], [0, 3]]),
      set([[2, 5], [3, 0], [0, 1]]),
    ]);
    expect([...index.offsets]).toEqual([0, 2, 2, 4, 5]);
    expect([...index.items]).toEqual([1, 3, 1, 5, 0]);
  });

  it('handles no sets and no pairs', () => {
    const index = indexByUser(2, []);
    expect([...index.offsets]).toEqual([0, 0, 0]);
    expect(index.items.length).toBe(0);
  });
});

describe('userHasItem', () => {
  it('finds exactly the indexed pairs', () => {
    const pairs: [number, number][] = [[0, 4], [0, 9], [0, 2], [1, 7]];
    const index = indexByUser(3, [set(pairs)]);
    for (let user = 0; user < 3; user++) {
      for (let item = 0; item < 10; item++) {
        const expected = pairs.some(([u, i]) => u === user && i === item);
        expect(userHasItem(index, user, item)).toBe(expected);
      }
    }
  });
});
