import { InvalidArgumentError } from '@mb/core';
import { describe, expect, it } from 'vitest';

import type { MultiBehaviorDataset } from './dataset.js';
import { createPopularityScorer } from './popularity.js';
import { evaluateRanking } from './ranking.js';

const set = (pairs: [number, number][]) => ({
  users: Int32Array.from(pairs, ([user]) => user),
  items: Int32Array.from(pairs, ([, item]) => item),
});

const dataset: MultiBehaviorDataset = {
  name: 'tiny',
  users: 3,
  items: 4,
  behaviors: ['buy', 'click'],
  train: [set([[0, 2], [1, 2], [1, 3]]), set([[0, 1], [1, 1], [2, 1]])],
  validation: set([]),
  test: set([[2, 3], [0, 3]]),
};

describe('createPopularityScorer', () => {
  it('scores items by training pair count', async () => {
    const scores = await createPopularityScorer(dataset)(Int32Array.from([2, 0]));
    expect([...scores]).toEqual([0, 0, 2, 1, 0, 0, 2, 1]);
    const clicks = await createPopularityScorer(dataset, 1)(Int32Array.from([1]));
    expect([...clicks]).toEqual([0, 3, 0, 0]);
  });

  it('gives hand-computed ranking metrics', async () => {
    // User 0 bought item 2, which is excluded, so item 3 (count 1) ranks first.
    // User 2 has no purchase: item 2 (count 2) ranks above item 3, so rank 1.
    const metrics = await evaluateRanking(dataset, 'test', createPopularityScorer(dataset), { ks: [1] });
    expect(metrics.ndcg[1]).toBeCloseTo(0.5, 12);
    expect(metrics.ndcg[10]).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 12);
    expect(metrics.recall[10]).toBe(1);
  });

  it('rejects an unknown behavior', () => {
    expect(() => createPopularityScorer(dataset, 2)).toThrow(InvalidArgumentError);
    expect(() => createPopularityScorer(dataset, -1)).toThrow(/behavior must be an index in \[0, 2\), got -1/);
  });
});
