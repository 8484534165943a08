import { InvalidArgumentError } from '@mb/core';
import { describe, expect, it } from 'vitest';

import type { MultiBehaviorDataset } from './dataset.js';
import { evaluateRanking, metricsAtK } from './ranking.js';
import { createRng } from './rng.js';
import { syntheticDataset } from './synthetic.js';

const set = (pairs: [number, number][]) => ({
  users: Int32Array.from(pairs, ([user]) => user),
  items: Int32Array.from(pairs, ([, item]) => item),
});

/**
 * User 0 bought item 0 in training, holds out item 3 for validation and item 1 for test.
 * User 1 holds out items 2 and 4 for test. User 2 has nothing held out.
 */
const tiny: MultiBehaviorDataset = {
  name: 'tiny',
  users: 3,
  items: 5,
  behaviors: ['buy', 'click'],
  train: [set([[0, 0]]), set([[0, 1], [1, 2], [2, 3]])],
  validation: set([[0, 3]]),
  test: set([[0, 1], [1, 2], [1, 4]]),
};

const tinyScores: Record<number, number[]> = {
  0: [5, 1, 4, 3, 2],
  1: [0.9, 0.1, 0.5, 0.7, 0.3],
  2: [0, 0, 0, 0, 0],
};

async function scoreTiny(users: Int32Array): Promise<Float32Array> {
  return Float32Array.from([...users].flatMap((user) => tinyScores[user]));
}

const log2 = Math.log2;

describe('evaluateRanking', () => {
  it('matches hand-computed test metrics', async () => {
    const metrics = await evaluateRanking(tiny, 'test', scoreTiny, { ks: [3] });
    // User 0: items 0 (train) and 3 (validation) are excluded; candidates 2 (4), 4 (2), 1 (1),
    // so held-out item 1 has rank 2. User 1: order 0, 3, 2, 4, 1, so items 2 and 4 have ranks 2, 3.
    const user0 = 1 / log2(4);
    const ideal1 = 1 + 1 / log2(3);
    expect(metrics.users).toBe(2);
    expect(Object.keys(metrics.ndcg)).toEqual(['3', '10', '20']);
    expect(metrics.ndcg[10]).toBeCloseTo((user0 + (1 / log2(4) + 1 / log2(5)) / ideal1) / 2, 12);
    expect(metrics.ndcg[20]).toBeCloseTo(metrics.ndcg[10], 12);
    expect(metrics.recall[10]).toBe(1);
    expect(metrics.ndcg[3]).toBeCloseTo((user0 + 1 / log2(4) / ideal1) / 2, 12);
    expect(metrics.recall[3]).toBeCloseTo((1 + 0.5) / 2, 12);
  });

  it('matches hand-computed validation metrics', async () => {
    // Only user 0: item 0 (train) is excluded, test item 1 stays; order 2, 3, 4, 1, so rank 1.
    const metrics = await evaluateRanking(tiny, 'validation', scoreTiny, { ks: [1] });
    expect(metrics.users).toBe(1);
    expect(metrics.ndcg[10]).toBeCloseTo(1 / log2(3), 12);
    expect(metrics.recall[10]).toBe(1);
    expect(metrics.ndcg[1]).toBe(0);
    expect(metrics.recall[1]).toBe(0);
  });

  it('breaks ties by item index', async () => {
    const dataset: MultiBehaviorDataset = { ...tiny, train: [set([[0, 1]]), set([])], validation: set([]), test: set([[0, 3]]) };
    // Constant scores: items 0 and 2 rank above item 3 (item 1 is excluded), so rank 2.
    const metrics = await evaluateRanking(dataset, 'test', async (users) => new Float32Array(users.length * 5), { ks: [2] });
    expect(metrics.ndcg[10]).toBeCloseTo(1 / log2(4), 12);
    expect(metrics.recall[2]).toBe(0);
  });

  it('keeps held-out items that are excluded', async () => {
    // Item 2 is both a validation and a test item of user 0; the test ranking keeps it.
    const dataset: MultiBehaviorDataset = { ...tiny, train: [set([]), set([])], validation: set([[0, 2]]), test: set([[0, 2]]) };
    const metrics = await evaluateRanking(dataset, 'test', async (users) => Float32Array.from({ length: users.length * 5 }, (_, n) => n % 5), { ks: [1] });
    // Scores 0..4: items 4 and 3 rank above item 2.
    expect(metrics.ndcg[10]).toBeCloseTo(1 / log2(4), 12);
  });

  it('returns NaN without held-out users', async () => {
    const dataset: MultiBehaviorDataset = { ...tiny, validation: set([]) };
    const metrics = await evaluateRanking(dataset, 'validation', scoreTiny);
    expect(metrics.users).toBe(0);
    expect(metrics.ndcg[10]).toBeNaN();
    expect(metrics.recall[20]).toBeNaN();
  });

  it('scores users in bounded batches', async () => {
    const dataset = syntheticDataset({ users: 40, items: 30, seed: 4, clicksPerUser: 10 });
    const calls: number[][] = [];
    const rng = createRng(1);
    const table = Float32Array.from({ length: dataset.users * dataset.items }, () => rng.nextFloat());
    const score = async (users: Int32Array) => {
      calls.push([...users]);
      return Float32Array.from([...users].flatMap((user) => [...table.subarray(user * dataset.items, (user + 1) * dataset.items)]));
    };
    const small = await evaluateRanking(dataset, 'test', score, { userBatchSize: 3 });
    expect(calls.every((users) => users.length <= 3)).toBe(true);
    const scored = calls.flat();
    expect(new Set(scored).size).toBe(scored.length);
    expect(scored.length).toBe(small.users);

    const large = await evaluateRanking(dataset, 'test', score, { userBatchSize: 1000 });
    expect(large).toEqual(small);
  });

  it('agrees with a brute-force ranking', async () => {
    const dataset = syntheticDataset({ users: 50, items: 60, seed: 8, clicksPerUser: 15 });
    const rng = createRng(2);
    // Coarse scores so that ties occur.
    const table = Float32Array.from({ length: dataset.users * dataset.items }, () => rng.nextInt(8));
    const score = async (users: Int32Array) =>
      Float32Array.from([...users].flatMap((user) => [...table.subarray(user * dataset.items, (user + 1) * dataset.items)]));

    for (const split of ['validation', 'test'] as const) {
      const metrics = await evaluateRanking(dataset, split, score, { ks: [5] });
      const expected = bruteForce(dataset, split, table, [5, 10, 20]);
      expect(metrics.users).toBe(expected.users);
      for (const k of [5, 10, 20]) {
        expect(metrics.ndcg[k]).toBeCloseTo(expected.ndcg[k], 10);
        expect(metrics.recall[k]).toBeCloseTo(expected.recall[k], 10);
      }
    }
  });

  it('rejects scores of the wrong length or type', async () => {
    await expect(evaluateRanking(tiny, 'test', async (users) => new Float32Array(users.length * 4))).rejects.toThrow(
      /scoreAllItems returned a Float32Array of 8 scores for 2 users; expected a Float32Array of 10/,
    );
    await expect(evaluateRanking(tiny, 'test', async () => [1, 2] as unknown as Float32Array)).rejects.toThrow(InvalidArgumentError);
  });

  it('rejects NaN scores', async () => {
    await expect(evaluateRanking(tiny, 'test', async (users) => new Float32Array(users.length * 5).fill(Number.NaN))).rejects.toThrow(
      /score of user 0, item 0 is NaN/,
    );
  });

  it('rejects invalid options', async () => {
    await expect(evaluateRanking(tiny, 'test', scoreTiny, { ks: [0] })).rejects.toThrow(/options.ks must hold positive integers/);
    await expect(evaluateRanking(tiny, 'test', scoreTiny, { userBatchSize: 0 })).rejects.toThrow(/userBatchSize/);
    await expect(evaluateRanking(tiny, 'train' as 'test', scoreTiny)).rejects.toThrow(/split must be/);
  });
});

describe('metricsAtK', () => {
  it('computes NDCG and recall from ranks', () => {
    expect(metricsAtK([0], 10)).toEqual({ ndcg: 1, recall: 1 });
    expect(metricsAtK([10], 10)).toEqual({ ndcg: 0, recall: 0 });
    const { ndcg, recall } = metricsAtK([1, 0, 30], 2);
    expect(ndcg).toBeCloseTo((1 + 1 / log2(3)) / (1 + 1 / log2(3)), 12);
    expect(recall).toBeCloseTo(2 / 3, 12);
  });
});

/** Reference metrics from a full sort of every user's candidate items. */
function bruteForce(dataset: MultiBehaviorDataset, split: 'validation' | 'test', table: Float32Array, ks: number[]) {
  const heldOut = new Map<number, Set<number>>();
  const target = dataset[split];
  target.users.forEach((user, n) => {
    if (!heldOut.has(user)) heldOut.set(user, new Set());
    heldOut.get(user)!.add(target.items[n]);
  });
  const excluded = new Set<string>();
  const addExcluded = (pairs: { users: Int32Array; items: Int32Array }) =>
    pairs.users.forEach((user, n) => excluded.add(`${user},${pairs.items[n]}`));
  addExcluded(dataset.train[0]);
  if (split === 'test') addExcluded(dataset.validation);

  const sums = { ndcg: new Map<number, number>(), recall: new Map<number, number>() };
  for (const [user, items] of heldOut) {
    const candidates = Array.from({ length: dataset.items }, (_, item) => item).filter(
      (item) => items.has(item) || !excluded.has(`${user},${item}`),
    );
    const scoreOf = (item: number) => table[user * dataset.items + item];
    candidates.sort((a, b) => scoreOf(b) - scoreOf(a) || a - b);
    for (const k of ks) {
      let dcg = 0;
      let hits = 0;
      candidates.slice(0, k).forEach((item, rank) => {
        if (items.has(item)) {
          dcg += 1 / Math.log2(rank + 2);
          hits++;
        }
      });
      let ideal = 0;
      for (let i = 0; i < Math.min(k, items.size); i++) ideal += 1 / Math.log2(i + 2);
      sums.ndcg.set(k, (sums.ndcg.get(k) ?? 0) + dcg / ideal);
      sums.recall.set(k, (sums.recall.get(k) ?? 0) + hits / items.size);
    }
  }
  const users = heldOut.size;
  const ndcg: Record<number, number> = {};
  const recall: Record<number, number> = {};
  for (const k of ks) {
    ndcg[k] = sums.ndcg.get(k)! / users;
    recall[k] = sums.recall.get(k)! / users;
  }
  return { users, ndcg, recall };
}
