import { InvalidArgumentError } from '@mb/core';

import { validateDataset, type InteractionSet, type MultiBehaviorDataset } from './dataset.js';
import { indexByUser, userHasItem, type UserItemIndex } from './user_index.js';

/** Mean full-ranking metrics over the evaluated users. */
export interface RankingMetrics {
  /** Users evaluated: those with at least one held-out pair in the split. */
  readonly users: number;
  /** K to mean NDCG@K; NaN when no user was evaluated. */
  readonly ndcg: Readonly<Record<number, number>>;
  /** K to mean Recall@K; NaN when no user was evaluated. */
  readonly recall: Readonly<Record<number, number>>;
}

export interface RankingOptions {
  /** Cutoffs evaluated in addition to the default 10 and 20. */
  readonly ks?: readonly number[];
  /**
   * Users scored per `scoreAllItems` call (default 256). Peak memory for the scores is about
   * `userBatchSize * items * 4` bytes.
   */
  readonly userBatchSize?: number;
}

/** Cutoffs always evaluated. */
export const DEFAULT_KS: readonly number[] = [10, 20];
/** Default number of users scored per call. */
export const DEFAULT_USER_BATCH_SIZE = 256;

/**
 * Evaluates the target behavior by full ranking over all items.
 *
 * For each user with held-out pairs in `split`, `scoreAllItems` scores every item. The user's
 * training purchases (target train pairs) are removed from the ranking, and for the test split
 * also the user's validation items, because both are known positives that the model is not
 * asked to find again. The held-out items of the evaluated split always stay in the ranking.
 * Items seen only in auxiliary behaviors stay too, since a clicked item may still be bought.
 *
 * Items are ranked by descending score, equal scores by ascending item index (a stable sort),
 * so a constant scorer gets no credit for ties. With H the user's held-out items and r(h) the
 * 0-based rank of h, NDCG@K = sum over h with r(h) < K of 1/log2(r(h) + 2), divided by
 * sum over i < min(K, |H|) of 1/log2(i + 2), and Recall@K = |{h : r(h) < K}| / |H|. Both are
 * averaged over users. Users are scored `userBatchSize` at a time, so memory stays bounded.
 * A NaN score raises `InvalidArgumentError`.
 */
export async function evaluateRanking(
  dataset: MultiBehaviorDataset,
  split: 'validation' | 'test',
  scoreAllItems: (users: Int32Array) => Promise<Float32Array>,
  options: RankingOptions = {},
): Promise<RankingMetrics> {
  const operation = 'evaluateRanking';
  validateDataset(operation, dataset);
  if (split !== 'validation' && split !== 'test') {
    throw new InvalidArgumentError(operation, `split must be 'validation' or 'test', got ${JSON.stringify(split)}.`);
  }
  const ks = cutoffs(operation, options.ks);
  const userBatchSize = options.userBatchSize ?? DEFAULT_USER_BATCH_SIZE;
  if (!Number.isInteger(userBatchSize) || userBatchSize < 1) {
    throw new InvalidArgumentError(operation, `options.userBatchSize must be a positive integer, got ${userBatchSize}.`);
  }

  const heldOut = indexByUser(dataset.users, [dataset[split]]);
  const excludedSets: InteractionSet[] = [dataset.train[0]];
  if (split === 'test') excludedSets.push(dataset.validation);
  const excluded = indexByUser(dataset.users, excludedSets);

  const evaluatedUsers: number[] = [];
  for (let u = 0; u < dataset.users; u++) {
    if (heldOut.offsets[u + 1] > heldOut.offsets[u]) evaluatedUsers.push(u);
  }

  const ndcgSums = new Float64Array(ks.length);
  const recallSums = new Float64Array(ks.length);
  const items = dataset.items;
  for (let start = 0; start < evaluatedUsers.length; start += userBatchSize) {
    const batch = Int32Array.from(evaluatedUsers.slice(start, start + userBatchSize));
    const scores = await scoreAllItems(batch);
    if (!(scores instanceof Float32Array) || scores.length !== batch.length * items) {
      throw new InvalidArgumentError(
        operation,
        `scoreAllItems returned ${describeScores(scores)} for ${batch.length} users; expected a Float32Array of ${batch.length * items} (users x items) scores.`,
      );
    }
    for (let row = 0; row < batch.length; row++) {
      const user = batch[row];
      const userScores = scores.subarray(row * items, (row + 1) * items);
      const ranks = heldOutRanks(user, userScores, heldOut, excluded);
      ks.forEach((k, index) => {
        const metrics = metricsAtK(ranks, k);
        ndcgSums[index] += metrics.ndcg;
        recallSums[index] += metrics.recall;
      });
    }
  }

  const count = evaluatedUsers.length;
  const ndcg: Record<number, number> = {};
  const recall: Record<number, number> = {};
  ks.forEach((k, index) => {
    ndcg[k] = count > 0 ? ndcgSums[index] / count : Number.NaN;
    recall[k] = count > 0 ? recallSums[index] / count : Number.NaN;
  });
  return { users: count, ndcg, recall };
}

/**
 * Returns the 0-based rank of each of the user's held-out items among the candidate items
 * (all items except the excluded ones), ranking by descending score, ties by item index.
 */
export function heldOutRanks(
  user: number,
  scores: Float32Array,
  heldOut: UserItemIndex,
  excluded: UserItemIndex,
): number[] {
  const targets = heldOut.items.subarray(heldOut.offsets[user], heldOut.offsets[user + 1]);
  const ranks: number[] = [];
  for (const target of targets) {
    const targetScore = scores[target];
    // Counts the items ranked above the target in one tight pass over all items, then
    // subtracts the excluded ones, because that is several times faster than testing each item.
    let above = 0;
    for (let item = 0; item < target; item++) {
      const score = scores[item];
      if (score >= targetScore) above++;
      else if (score !== score) throwNaN(user, item);
    }
    for (let item = target + 1; item < scores.length; item++) {
      const score = scores[item];
      if (score > targetScore) above++;
      else if (score !== score) throwNaN(user, item);
    }
    if (targetScore !== targetScore) throwNaN(user, target);

    for (let n = excluded.offsets[user]; n < excluded.offsets[user + 1]; n++) {
      const item = excluded.items[n];
      if (item === target || userHasItem(heldOut, user, item)) continue;
      const score = scores[item];
      if (score > targetScore || (score === targetScore && item < target)) above--;
    }
    ranks.push(above);
  }
  return ranks;
}

function throwNaN(user: number, item: number): never {
  throw new InvalidArgumentError('evaluateRanking', `score of user ${user}, item ${item} is NaN.`);
}

/** NDCG@K and Recall@K of one user from the 0-based ranks of their held-out items. */
export function metricsAtK(ranks: readonly number[], k: number): { ndcg: number; recall: number } {
  let dcg = 0;
  let hits = 0;
  for (const rank of ranks) {
    if (rank < k) {
      dcg += 1 / Math.log2(rank + 2);
      hits++;
    }
  }
  let idealDcg = 0;
  for (let i = 0; i < Math.min(k, ranks.length); i++) idealDcg += 1 / Math.log2(i + 2);
  return { ndcg: dcg / idealDcg, recall: hits / ranks.length };
}

function cutoffs(operation: string, extra: readonly number[] | undefined): number[] {
  const all = new Set<number>(DEFAULT_KS);
  for (const k of extra ?? []) {
    if (!Number.isInteger(k) || k < 1) {
      throw new InvalidArgumentError(operation, `options.ks must hold positive integers, got ${k}.`);
    }
    all.add(k);
  }
  return [...all].sort((a, b) => a - b);
}

function describeScores(scores: unknown): string {
  if (scores instanceof Float32Array) return `a Float32Array of ${scores.length} scores`;
  return `a value of type ${Object.prototype.toString.call(scores)}`;
}
