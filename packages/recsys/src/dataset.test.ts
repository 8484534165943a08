import { InvalidArgumentError } from '@mb/core';
import { describe, expect, it } from 'vitest';

import { summarizeDataset, validateDataset, type MultiBehaviorDataset } from './dataset.js';

const set = (users: number[], items: number[]) => ({ users: Int32Array.from(users), items: Int32Array.from(items) });

function tinyDataset(overrides: Partial<MultiBehaviorDataset> = {}): MultiBehaviorDataset {
  return {
    name: 'tiny',
    users: 3,
    items: 4,
    behaviors: ['buy', 'click'],
    train: [set([0, 1], [1, 2]), set([0, 0, 2], [0, 1, 3])],
    validation: set([1], [3]),
    test: set([0, 2], [2, 0]),
    ...overrides,
  };
}

describe('validateDataset', () => {
  it('accepts a consistent dataset', () => {
    expect(() => validateDataset('test', tinyDataset())).not.toThrow();
  });

  it('rejects out-of-range indices', () => {
    expect(() => validateDataset('op', tinyDataset({ test: set([3], [0]) }))).toThrow(/dataset.test.users\[0\] = 3 is outside \[0, 3\)/);
    expect(() => validateDataset('op', tinyDataset({ validation: set([0], [-1]) }))).toThrow(InvalidArgumentError);
  });

  it('rejects a missing train set', () => {
    expect(() => validateDataset('op', tinyDataset({ train: [set([], [])] }))).toThrow(/one set per behavior \(2\), got 1/);
  });

  it('rejects unequal array lengths', () => {
    expect(() => validateDataset('op', tinyDataset({ validation: set([0, 1], [0]) }))).toThrow(/equal length/);
  });

  it('rejects non-positive counts', () => {
    expect(() => validateDataset('op', tinyDataset({ items: 0 }))).toThrow(/dataset.items must be a positive integer/);
  });

  it('names the operation', () => {
    expect(() => validateDataset('createSampler', tinyDataset({ users: 1.5 }))).toThrow(/^Error in createSampler:/);
  });
});

describe('summarizeDataset', () => {
  it('counts pairs per behavior and split', () => {
    expect(summarizeDataset(tinyDataset())).toEqual({
      name: 'tiny',
      users: 3,
      items: 4,
      trainPairs: { buy: 2, click: 3 },
      validationPairs: 1,
      testPairs: 2,
    });
  });
});
