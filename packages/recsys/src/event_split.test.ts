import { describe, expect, it } from 'vitest';

import type { InteractionSet } from './dataset.js';
import { EventLog, splitEvents, toSortedSet } from './event_split.js';

const BUY = 0;
const CLICK = 1;

function pairs(set: InteractionSet): [number, number][] {
  return Array.from(set.users, (user, n) => [user, set.items[n]]);
}

function split(log: EventLog, heldOut: readonly ('test' | 'validation')[] = ['test', 'validation'], sources = 1) {
  return splitEvents(log, { users: 10, behaviors: 2, target: BUY, heldOut, sources });
}

describe('splitEvents', () => {
  it('holds out the last two purchases', () => {
    const log = new EventLog();
    log.push(0, 10, BUY, 300, 0);
    log.push(0, 11, BUY, 100, 0);
    log.push(0, 12, BUY, 200, 0);
    log.push(0, 13, BUY, 50, 0);
    const result = split(log);
    expect(pairs(result.test)).toEqual([[0, 10]]);
    expect(pairs(result.validation)).toEqual([[0, 12]]);
    expect(pairs(result.train[BUY])).toEqual([[0, 11], [0, 13]]);
  });

  it('keeps at least one training purchase per user', () => {
    const log = new EventLog();
    log.push(1, 5, BUY, 1, 0); // one purchase: stays in train
    log.push(2, 6, BUY, 1, 0); // two purchases: the later goes to test
    log.push(2, 7, BUY, 2, 0);
    log.push(3, 8, BUY, 1, 0); // three purchases: test, validation and train
    log.push(3, 9, BUY, 2, 0);
    log.push(3, 4, BUY, 3, 0);
    const result = split(log);
    expect(pairs(result.train[BUY])).toEqual([[1, 5], [2, 6], [3, 8]]);
    expect(pairs(result.test)).toEqual([[2, 7], [3, 4]]);
    expect(pairs(result.validation)).toEqual([[3, 9]]);
  });

  it('breaks time ties by reading order', () => {
    const log = new EventLog();
    log.push(0, 3, BUY, 7, 0);
    log.push(0, 1, BUY, 7, 0);
    log.push(0, 2, BUY, 7, 0);
    const result = split(log);
    expect(pairs(result.test)).toEqual([[0, 2]]);
    expect(pairs(result.validation)).toEqual([[0, 1]]);
    expect(pairs(result.train[BUY])).toEqual([[0, 3]]);
  });

  it('orders repeated purchases by their first time', () => {
    const log = new EventLog();
    log.push(0, 1, BUY, 10, 0);
    log.push(0, 2, BUY, 20, 0);
    log.push(0, 1, BUY, 30, 0); // repeat of item 1: its first purchase (10) counts
    const result = split(log, ['test']);
    expect(pairs(result.test)).toEqual([[0, 2]]);
    expect(pairs(result.train[BUY])).toEqual([[0, 1]]);
    expect(result.duplicatesBySource).toEqual([1]);
  });

  it('keeps the earliest repeated event', () => {
    const log = new EventLog();
    log.push(0, 1, BUY, 50, 0);
    log.push(0, 2, BUY, 40, 0);
    log.push(0, 1, BUY, 30, 1); // earlier than the first read purchase of item 1
    const result = split(log, ['test'], 2);
    // Item 1 was first bought at 30, item 2 at 40, so item 2 is the last purchase.
    expect(pairs(result.test)).toEqual([[0, 2]]);
    // The dropped repeat is the one read first (time 50), from source 0.
    expect(result.duplicatesBySource).toEqual([1, 0]);
  });

  it('counts duplicates per behavior and source', () => {
    const log = new EventLog();
    log.push(0, 1, CLICK, 1, 0);
    log.push(0, 1, CLICK, 2, 1);
    log.push(0, 1, CLICK, 3, 1);
    log.push(0, 1, BUY, 4, 0); // same pair, other behavior: not a duplicate
    const result = split(log, ['test'], 2);
    expect(result.duplicatesBySource).toEqual([0, 2]);
    expect(pairs(result.train[CLICK])).toEqual([[0, 1]]);
    expect(pairs(result.train[BUY])).toEqual([[0, 1]]);
  });

  it('leaves auxiliary behaviors unsplit', () => {
    const log = new EventLog();
    for (let item = 0; item < 5; item++) log.push(4, item, CLICK, item, 0);
    const result = split(log);
    expect(result.train[CLICK].users.length).toBe(5);
    expect(result.test.users.length).toBe(0);
    expect(result.validation.users.length).toBe(0);
  });

  it('sorts every set by user, then item', () => {
    const log = new EventLog();
    const order = [[3, 9], [1, 4], [3, 2], [0, 7], [1, 1]];
    order.forEach(([user, item], n) => log.push(user, item, CLICK, n, 0));
    const result = split(log);
    expect(pairs(result.train[CLICK])).toEqual([[0, 7], [1, 1], [1, 4], [3, 2], [3, 9]]);
  });

  it('grows past its initial capacity', () => {
    const log = new EventLog();
    for (let n = 0; n < 5000; n++) log.push(n % 10, n, CLICK, n, 0);
    expect(log.length).toBe(5000);
    expect(split(log).train[CLICK].users.length).toBe(5000);
    expect(log.items[4999]).toBe(4999);
  });
});

describe('toSortedSet', () => {
  it('sorts pairs by user, then item', () => {
    const set = toSortedSet([2, 0, 2, 1], [5, 3, 1, 8]);
    expect(pairs(set)).toEqual([[0, 3], [1, 8], [2, 1], [2, 5]]);
  });
});
