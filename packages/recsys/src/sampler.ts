import { InvalidArgumentError } from '@mb/core';

import { validateDataset, type MultiBehaviorDataset } from './dataset.js';
import { createRng, deriveSeed, shuffleInPlace, type Rng } from './rng.js';
import type { TrainingBatch } from './trainer_contract.js';
import { indexByUser, type UserItemIndex } from './user_index.js';

/** Training examples of a dataset, batched and shuffled per epoch. */
export interface Sampler {
  /**
   * Number of training examples per epoch: the observed (user, item) pairs of all behaviors,
   * deduplicated per pair, plus `negativesPerPositive` negatives for each of them.
   */
  epochSize(): number;
  /**
   * Yields the shuffled batches of one epoch, the last one possibly smaller. Negatives are
   * resampled each epoch, and the batches depend only on (seed, epoch).
   */
  batches(epoch: number, batchSize: number): Generator<TrainingBatch>;
}

export interface SamplerOptions {
  /** Negatives per observed pair, a non-negative integer. */
  readonly negativesPerPositive: number;
  /** Seed of the negative sampling and shuffling. */
  readonly seed: number;
}

/**
 * Creates a sampler over a dataset's training split.
 *
 * A positive example is an observed (user, item) pair of any behavior, labelled 1 for each
 * behavior the pair has in training and 0 for the others. A negative example pairs the same
 * user with an item drawn uniformly, with replacement, from the items that user has in no
 * training behavior, and is labelled 0 for every behavior. Validation and test pairs are not
 * read, so a held-out item may be drawn as a negative, as in the usual NCF protocol.
 */
export function createSampler(dataset: MultiBehaviorDataset, options: SamplerOptions): Sampler {
  const operation = 'createSampler';
  validateDataset(operation, dataset);
  const { negativesPerPositive, seed } = options;
  if (!Number.isInteger(negativesPerPositive) || negativesPerPositive < 0) {
    throw new InvalidArgumentError(
      operation,
      `options.negativesPerPositive must be a non-negative integer, got ${negativesPerPositive}.`,
    );
  }
  if (!Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError(operation, `options.seed must be a safe integer, got ${seed}.`);
  }

  const positives = collectPositives(dataset);
  const touched = indexByUser(dataset.users, dataset.train);
  for (let n = 0; n < positives.users.length; n++) {
    const user = positives.users[n];
    const count = touched.offsets[user + 1] - touched.offsets[user];
    if (negativesPerPositive > 0 && count === dataset.items) {
      throw new InvalidArgumentError(
        operation,
        `user ${user} has every item (${dataset.items}) in training, so no negative can be sampled; use negativesPerPositive = 0 or more items.`,
      );
    }
  }

  const positiveCount = positives.users.length;
  const size = positiveCount * (1 + negativesPerPositive);
  const behaviorCount = dataset.behaviors.length;

  function* batches(epoch: number, batchSize: number): Generator<TrainingBatch> {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new InvalidArgumentError('Sampler.batches', `epoch must be a non-negative integer, got ${epoch}.`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidArgumentError('Sampler.batches', `batchSize must be a positive integer, got ${batchSize}.`);
    }
    const rng = createRng(deriveSeed(seed, 'sampler', epoch));
    const negativeItems = sampleNegatives(positives.users, negativesPerPositive, touched, dataset.items, rng);

    // Examples [0, positiveCount) are positives; example positiveCount + k is the k-th
    // negative, drawn for positive floor(k / negativesPerPositive).
    const order = new Uint32Array(size);
    for (let n = 0; n < size; n++) order[n] = n;
    shuffleInPlace(order, rng);

    for (let start = 0; start < size; start += batchSize) {
      const length = Math.min(batchSize, size - start);
      const users = new Int32Array(length);
      const items = new Int32Array(length);
      const labels: Float32Array[] = [];
      for (let b = 0; b < behaviorCount; b++) labels.push(new Float32Array(length));
      for (let n = 0; n < length; n++) {
        const example = order[start + n];
        if (example < positiveCount) {
          users[n] = positives.users[example];
          items[n] = positives.items[example];
          const mask = positives.behaviorMasks[example];
          for (let b = 0; b < behaviorCount; b++) labels[b][n] = (mask >>> b) & 1;
        } else {
          const k = example - positiveCount;
          users[n] = positives.users[Math.floor(k / negativesPerPositive)];
          items[n] = negativeItems[k];
        }
      }
      yield { users, items, labels };
    }
  }

  return { epochSize: () => size, batches };
}

interface Positives {
  readonly users: Int32Array;
  readonly items: Int32Array;
  /** Bit b is set when the pair has behavior b in training. */
  readonly behaviorMasks: Uint32Array;
}

/** Unique (user, item) pairs over all training behaviors, sorted, with their behavior masks. */
function collectPositives(dataset: MultiBehaviorDataset): Positives {
  if (dataset.behaviors.length > 32) {
    throw new InvalidArgumentError(
      'createSampler',
      `at most 32 behaviors are supported, got ${dataset.behaviors.length}.`,
    );
  }
  let total = 0;
  for (const set of dataset.train) total += set.users.length;
  const users = new Int32Array(total);
  const items = new Int32Array(total);
  const behaviors = new Uint8Array(total);
  let n = 0;
  dataset.train.forEach((set, b) => {
    users.set(set.users, n);
    items.set(set.items, n);
    behaviors.fill(b, n, n + set.users.length);
    n += set.users.length;
  });

  const order = new Uint32Array(total);
  for (let k = 0; k < total; k++) order[k] = k;
  order.sort((a, b) => users[a] - users[b] || items[a] - items[b]);

  const outUsers: number[] = [];
  const outItems: number[] = [];
  const masks: number[] = [];
  for (let k = 0; k < total; k++) {
    const e = order[k];
    const last = outUsers.length - 1;
    if (last >= 0 && outUsers[last] === users[e] && outItems[last] === items[e]) {
      masks[last] = (masks[last] | (1 << behaviors[e])) >>> 0;
    } else {
      outUsers.push(users[e]);
      outItems.push(items[e]);
      masks.push((1 << behaviors[e]) >>> 0);
    }
  }
  return { users: Int32Array.from(outUsers), items: Int32Array.from(outItems), behaviorMasks: Uint32Array.from(masks) };
}

/** Draws `perPositive` negatives for each positive's user, uniformly among untouched items. */
function sampleNegatives(
  positiveUsers: Int32Array,
  perPositive: number,
  touched: UserItemIndex,
  items: number,
  rng: Rng,
): Int32Array {
  const negatives = new Int32Array(positiveUsers.length * perPositive);
  let k = 0;
  for (let p = 0; p < positiveUsers.length; p++) {
    const user = positiveUsers[p];
    const start = touched.offsets[user];
    const end = touched.offsets[user + 1];
    for (let j = 0; j < perPositive; j++) {
      negatives[k++] = nthUntouchedItem(touched.items, start, end, rng.nextInt(items - (end - start)));
    }
  }
  return negatives;
}

/**
 * Returns the rank-th item (0-based) not in the sorted run `sorted[start..end)`. Exact and
 * O(log n), so sampling stays uniform and fast even for users with many items.
 */
export function nthUntouchedItem(sorted: Int32Array, start: number, end: number, rank: number): number {
  // Finds the number j of run entries below the result: the first j with sorted[start+j] - j > rank.
  let low = 0;
  let high = end - start;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[start + mid] - mid > rank) high = mid;
    else low = mid + 1;
  }
  return rank + low;
}
