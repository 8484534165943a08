import { InvalidArgumentError } from '@mb/core';

import { validateDataset, type MultiBehaviorDataset } from './dataset.js';

/**
 * Creates a `scoreAllItems` function for `evaluateRanking` that gives every user the same
 * scores: each item's number of training pairs in one behavior (default 0, the target). It is
 * the most-popular baseline that a trained model should beat.
 */
export function createPopularityScorer(
  dataset: MultiBehaviorDataset,
  behavior = 0,
): (users: Int32Array) => Promise<Float32Array> {
  validateDataset('createPopularityScorer', dataset);
  if (!Number.isInteger(behavior) || behavior < 0 || behavior >= dataset.behaviors.length) {
    throw new InvalidArgumentError(
      'createPopularityScorer',
      `behavior must be an index in [0, ${dataset.behaviors.length}), got ${behavior}.`,
    );
  }
  const counts = new Float32Array(dataset.items);
  for (const item of dataset.train[behavior].items) counts[item]++;

  return async (users: Int32Array) => {
    const scores = new Float32Array(users.length * dataset.items);
    for (let row = 0; row < users.length; row++) scores.set(counts, row * dataset.items);
    return scores;
  };
}
