import { InvalidArgumentError } from '@mb/core';
import { describe, expect, it } from 'vitest';

import type { MultiBehaviorDataset } from './dataset.js';
import { createSampler, nthUntouchedItem } from './sampler.js';
import { syntheticDataset } from './synthetic.js';
import type { TrainingBatch } from './trainer_contract.js';

const set = (pairs: [number, number][]) => ({
  users: Int32Array.from(pairs, ([user]) => user),
  items: Int32Array.from(pairs, ([, item]) => item),
});

/** Three users, six items, two behaviors; pair (0, 1) has both behaviors. */
const tiny: MultiBehaviorDataset = {
  name: 'tiny',
  users: 3,
  items: 6,
  behaviors: ['buy', 'click'],
  train: [set([[0, 1], [2, 5]]), set([[0, 1], [0, 2], [1, 0], [1, 3]])],
  validation: set([[1, 4]]),
  test: set([[0, 4]]),
};

function collect(batches: Iterable<TrainingBatch>): { users: number[]; items: number[]; labels: number[][] } {
  const out = { users: [] as number[], items: [] as number[], labels: [] as number[][] };
  for (const batch of batches) {
    batch.users.forEach((user, n) => {
      out.users.push(user);
      out.items.push(batch.items[n]);
      out.labels.push(batch.labels.map((labels) => labels[n]));
    });
  }
  return out;
}

function pairKeys(dataset: MultiBehaviorDataset, behavior: number): Set<string> {
  const keys = new Set<string>();
  const train = dataset.train[behavior];
  train.users.forEach((user, n) => keys.add(`${user},${train.items[n]}`));
  return keys;
}

describe('createSampler', () => {
  it('counts unique positives plus negatives per epoch', () => {
    // Unique pairs: (0,1) (0,2) (1,0) (1,3) (2,5) = 5 positives.
    expect(createSampler(tiny, { negativesPerPositive: 0, seed: 1 }).epochSize()).toBe(5);
    expect(createSampler(tiny, { negativesPerPositive: 3, seed: 1 }).epochSize()).toBe(20);
  });

  it('batches cover epochSize examples', () => {
    const sampler = createSampler(tiny, { negativesPerPositive: 3, seed: 1 });
    const sizes = [...sampler.batches(0, 6)].map((batch) => batch.users.length);
    expect(sizes).toEqual([6, 6, 6, 2]);
    for (const batch of sampler.batches(0, 6)) {
      expect(batch.items.length).toBe(batch.users.length);
      expect(batch.labels.length).toBe(2);
      for (const labels of batch.labels) expect(labels.length).toBe(batch.users.length);
    }
  });

  it('labels each positive with its training behaviors', () => {
    const examples = collect(createSampler(tiny, { negativesPerPositive: 0, seed: 5 }).batches(0, 4));
    const labelsByPair = new Map(examples.users.map((user, n) => [`${user},${examples.items[n]}`, examples.labels[n]]));
    expect(labelsByPair).toEqual(
      new Map([
        ['0,1', [1, 1]],
        ['0,2', [0, 1]],
        ['1,0', [0, 1]],
        ['1,3', [0, 1]],
        ['2,5', [1, 0]],
      ]),
    );
  });

  it('labels synthetic pairs like the train sets', () => {
    const dataset = syntheticDataset({ users: 60, items: 80, seed: 3, clicksPerUser: 15 });
    const keys = dataset.behaviors.map((_, b) => pairKeys(dataset, b));
    const touched = new Set(keys.flatMap((behaviorKeys) => [...behaviorKeys]));
    const examples = collect(createSampler(dataset, { negativesPerPositive: 2, seed: 9 }).batches(0, 128));
    let positives = 0;
    examples.users.forEach((user, n) => {
      const key = `${user},${examples.items[n]}`;
      const labels = examples.labels[n];
      if (touched.has(key)) {
        positives++;
        labels.forEach((label, b) => expect(label).toBe(keys[b].has(key) ? 1 : 0));
      } else {
        expect(labels.every((label) => label === 0)).toBe(true);
      }
    });
    expect(positives).toBe(touched.size);
  });

  it('never draws touched items as negatives', () => {
    const dataset = syntheticDataset({ users: 50, items: 40, seed: 2, clicksPerUser: 8 });
    const touched = new Set(dataset.behaviors.flatMap((_, b) => [...pairKeys(dataset, b)]));
    const sampler = createSampler(dataset, { negativesPerPositive: 4, seed: 1 });
    for (const epoch of [0, 1]) {
      const examples = collect(sampler.batches(epoch, 256));
      let negatives = 0;
      examples.users.forEach((user, n) => {
        if (examples.labels[n].some((label) => label === 1)) return;
        negatives++;
        expect(touched.has(`${user},${examples.items[n]}`)).toBe(false);
      });
      expect(negatives).toBe(4 * touched.size);
    }
  });

  it('draws untouched items uniformly', () => {
    // User 0 touched items 1 and 2, so negatives come from items 0, 3, 4, 5.
    const dataset: MultiBehaviorDataset = { ...tiny, train: [set([[0, 1]]), set([[0, 2]])] };
    const examples = collect(createSampler(dataset, { negativesPerPositive: 2000, seed: 4 }).batches(0, 10000));
    const counts = new Map<number, number>();
    examples.items.forEach((item, n) => {
      if (examples.labels[n].every((label) => label === 0)) counts.set(item, (counts.get(item) ?? 0) + 1);
    });
    expect([...counts.keys()].sort()).toEqual([0, 3, 4, 5]);
    // 4000 draws over 4 items: expect 1000 each, standard deviation about 27.
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it('repeats an epoch for the same seed', () => {
    const dataset = syntheticDataset({ users: 30, items: 50, seed: 1, clicksPerUser: 10 });
    const a = collect(createSampler(dataset, { negativesPerPositive: 2, seed: 7 }).batches(3, 64));
    const b = collect(createSampler(dataset, { negativesPerPositive: 2, seed: 7 }).batches(3, 64));
    expect(a).toEqual(b);
  });

  it('resamples negatives per epoch and seed', () => {
    const dataset = syntheticDataset({ users: 30, items: 50, seed: 1, clicksPerUser: 10 });
    const sampler = createSampler(dataset, { negativesPerPositive: 2, seed: 7 });
    const epoch0 = collect(sampler.batches(0, 64));
    const epoch1 = collect(sampler.batches(1, 64));
    const otherSeed = collect(createSampler(dataset, { negativesPerPositive: 2, seed: 8 }).batches(0, 64));
    expect(epoch1.users).not.toEqual(epoch0.users);
    expect(otherSeed.users).not.toEqual(epoch0.users);

    // Same positives in every epoch, different negatives.
    const negatives = (examples: ReturnType<typeof collect>) =>
      examples.users
        .map((user, n) => (examples.labels[n].some((label) => label === 1) ? null : `${user},${examples.items[n]}`))
        .filter((key): key is string => key !== null)
        .sort();
    const positives = (examples: ReturnType<typeof collect>) =>
      examples.users
        .map((user, n) => (examples.labels[n].some((label) => label === 1) ? `${user},${examples.items[n]}` : null))
        .filter((key): key is string => key !== null)
        .sort();
    expect(positives(epoch1)).toEqual(positives(epoch0));
    expect(negatives(epoch1)).not.toEqual(negatives(epoch0));
  });

  it('keeps example order across batch sizes', () => {
    const dataset = syntheticDataset({ users: 20, items: 30, seed: 6, clicksPerUser: 8 });
    const sampler = createSampler(dataset, { negativesPerPositive: 1, seed: 3 });
    expect(collect(sampler.batches(2, 7))).toEqual(collect(sampler.batches(2, 1000)));
  });

  it('rejects invalid options', () => {
    expect(() => createSampler(tiny, { negativesPerPositive: -1, seed: 1 })).toThrow(InvalidArgumentError);
    expect(() => createSampler(tiny, { negativesPerPositive: 1.5, seed: 1 })).toThrow(/negativesPerPositive/);
    expect(() => createSampler(tiny, { negativesPerPositive: 1, seed: 0.5 })).toThrow(/options.seed/);
    const sampler = createSampler(tiny, { negativesPerPositive: 1, seed: 1 });
    expect(() => sampler.batches(0, 0).next()).toThrow(/batchSize must be a positive integer/);
    expect(() => sampler.batches(-1, 4).next()).toThrow(/epoch must be a non-negative integer/);
  });

  it('rejects a user who touched every item', () => {
    const full: MultiBehaviorDataset = { ...tiny, items: 2, train: [set([[0, 0]]), set([[0, 1]])], validation: set([]), test: set([]) };
    expect(() => createSampler(full, { negativesPerPositive: 1, seed: 1 })).toThrow(/user 0 has every item/);
    expect(createSampler(full, { negativesPerPositive: 0, seed: 1 }).epochSize()).toBe(2);
  });
});

describe('nthUntouchedItem', () => {
  it('matches a linear scan', () => {
    const touched = Int32Array.from([0, 3, 4, 7, 9]);
    const untouched = [1, 2, 5, 6, 8, 10, 11];
    untouched.forEach((item, rank) => expect(nthUntouchedItem(touched, 0, touched.length, rank)).toBe(item));
  });

  it('works on a sub-range and an empty run', () => {
    const items = Int32Array.from([99, 1, 2, 99]);
    expect(nthUntouchedItem(items, 1, 3, 0)).toBe(0);
    expect(nthUntouchedItem(items, 1, 3, 1)).toBe(3);
    expect(nthUntouchedItem(items, 2, 2, 5)).toBe(5);
  });
});
