import { InvalidArgumentError } from '@mb/core';
import { describe, expect, it } from 'vitest';

import { summarizeDataset, validateDataset, type InteractionSet } from './dataset.js';
import { SYNTHETIC_BEHAVIORS, SYNTHETIC_DEFAULTS, syntheticDataset } from './synthetic.js';

function keys(set: InteractionSet): Set<string> {
  return new Set(Array.from(set.users, (user, n) => `${user},${set.items[n]}`));
}

describe('syntheticDataset', () => {
  const dataset = syntheticDataset();

  it('has the documented default size and counts', () => {
    expect(dataset.users).toBe(SYNTHETIC_DEFAULTS.users);
    expect(dataset.items).toBe(SYNTHETIC_DEFAULTS.items);
    expect(dataset.behaviors).toEqual(SYNTHETIC_BEHAVIORS);
    expect(summarizeDataset(dataset)).toEqual({
      name: 'synthetic',
      users: 1000,
      items: 500,
      trainPairs: { buy: 4039, click: 38875, collect: 5341, cart: 6264 },
      validationPairs: 655,
      testPairs: 782,
    });
    expect(() => validateDataset('test', dataset)).not.toThrow();
  });

  it('is deterministic in the seed', () => {
    const again = syntheticDataset({ users: 100, items: 80, seed: 5, clicksPerUser: 10 });
    expect(syntheticDataset({ users: 100, items: 80, seed: 5, clicksPerUser: 10 })).toEqual(again);
    const other = syntheticDataset({ users: 100, items: 80, seed: 6, clicksPerUser: 10 });
    expect(other.train[1].items).not.toEqual(again.train[1].items);
  });

  it('follows the click, collect and cart, buy funnel', () => {
    const [buy, click, collect, cart] = dataset.train;
    expect(click.users.length).toBeGreaterThan(collect.users.length);
    expect(click.users.length).toBeGreaterThan(cart.users.length);
    expect(collect.users.length).toBeGreaterThan(buy.users.length);
    expect(cart.users.length).toBeGreaterThan(buy.users.length);

    // About unloggedClickRate (0.2) of the purchases have no logged click.
    const clicks = keys(click);
    const purchases = [...keys(buy), ...keys(dataset.validation), ...keys(dataset.test)];
    const unclicked = purchases.filter((key) => !clicks.has(key)).length / purchases.length;
    expect(unclicked).toBeGreaterThan(0.17);
    expect(unclicked).toBeLessThan(0.23);
  });

  it('logs every click when unloggedClickRate is 0', () => {
    const full = syntheticDataset({ users: 200, items: 100, clicksPerUser: 20, unloggedClickRate: 0 });
    const [buy, click, collect, cart] = full.train;
    const clicks = keys(click);
    for (const set of [collect, cart, buy, full.validation, full.test]) {
      const withoutClick = [...keys(set)].filter((key) => !clicks.has(key));
      expect(withoutClick).toEqual([]);
    }
  });

  it('has long-tailed item popularity', () => {
    const counts = new Array<number>(dataset.items).fill(0);
    for (const item of dataset.train[1].items) counts[item]++;
    counts.sort((a, b) => b - a);
    const top10Percent = counts.slice(0, dataset.items / 10).reduce((a, b) => a + b, 0);
    const total = counts.reduce((a, b) => a + b, 0);
    // A uniform popularity would give the top 10% of items about 10% of the clicks.
    expect(top10Percent / total).toBeGreaterThan(0.3);
  });

  it('makes purchases depend on the user', () => {
    // With affinity, different users buy different items: the most bought item covers only a
    // small share of the buyers.
    const buyers = new Map<number, number>();
    for (const item of dataset.train[0].items) buyers.set(item, (buyers.get(item) ?? 0) + 1);
    const top = Math.max(...buyers.values());
    expect(top).toBeLessThan(0.2 * dataset.users);
  });

  it('holds out at most two purchases per user', () => {
    const testUsers = Array.from(dataset.test.users);
    const validationUsers = Array.from(dataset.validation.users);
    expect(new Set(testUsers).size).toBe(testUsers.length);
    expect(new Set(validationUsers).size).toBe(validationUsers.length);
    const trainBuyers = new Set(dataset.train[0].users);
    for (const user of [...testUsers, ...validationUsers]) expect(trainBuyers.has(user)).toBe(true);
    // Validation users are a subset of test users: validation needs three purchases.
    const testSet = new Set(testUsers);
    for (const user of validationUsers) expect(testSet.has(user)).toBe(true);

    const train = keys(dataset.train[0]);
    const leaked = [...keys(dataset.test), ...keys(dataset.validation)].filter((key) => train.has(key));
    expect(leaked).toEqual([]);
  });

  it('rejects invalid options', () => {
    expect(() => syntheticDataset({ users: 0 })).toThrow(InvalidArgumentError);
    expect(() => syntheticDataset({ items: 2.5 })).toThrow(/options.items must be a positive integer/);
    expect(() => syntheticDataset({ clicksPerUser: 0 })).toThrow(/clicksPerUser/);
    expect(() => syntheticDataset({ affinityWeight: -1 })).toThrow(/affinityWeight/);
    expect(() => syntheticDataset({ seed: 1.5 })).toThrow(/options.seed/);
    expect(() => syntheticDataset({ unloggedClickRate: 1.5 })).toThrow(/unloggedClickRate must be in \[0, 1\]/);
  });

  it('keeps a negative item for every user', () => {
    const small = syntheticDataset({ users: 20, items: 5, clicksPerUser: 50, seed: 1 });
    const clicksPerUser = new Map<number, number>();
    for (const user of small.train[1].users) clicksPerUser.set(user, (clicksPerUser.get(user) ?? 0) + 1);
    for (const count of clicksPerUser.values()) expect(count).toBeLessThanOrEqual(4);
  });
});
