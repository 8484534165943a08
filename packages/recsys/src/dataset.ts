import { InvalidArgumentError } from '@mb/core';

/** Observed (user, item) pairs of one behavior, as dense indices. */
export interface InteractionSet {
  readonly users: Int32Array;
  readonly items: Int32Array;
}

/** Rows read, kept and skipped in one file of a load. `rowsRead = rowsKept + sum(skipped)`. */
export interface FileLoadReport {
  readonly path: string;
  readonly rowsRead: number;
  readonly rowsKept: number;
  /** Skip reason (one of `SKIP_REASONS`) to the number of rows skipped for it. */
  readonly skipped: Readonly<Record<string, number>>;
}

/** Per-file row counts of one load. */
export interface LoadReport {
  readonly files: readonly FileLoadReport[];
}

/**
 * A multi-behavior recommendation dataset with a held-out target behavior.
 *
 * Every loader and the synthetic generator return the train sets deduplicated and sorted by
 * user, then item. Validation and test pairs are never in the target train set.
 */
export interface MultiBehaviorDataset {
  readonly name: string;
  /** Dense user count; user indices are in [0, users). */
  readonly users: number;
  /** Dense item count; item indices are in [0, items). */
  readonly items: number;
  /** Behavior names, the target behavior first, for example `['buy', 'click', 'collect', 'cart']`. */
  readonly behaviors: readonly string[];
  /** One set of training pairs per behavior, in the order of `behaviors`. */
  readonly train: readonly InteractionSet[];
  /** Target-behavior pairs held out for validation. */
  readonly validation: InteractionSet;
  /** Target-behavior pairs held out for test. */
  readonly test: InteractionSet;
  /** Present for datasets read from files. */
  readonly loadReport?: LoadReport;
}

/** Skip reasons that loaders put in `FileLoadReport.skipped`. */
export const SKIP_REASONS = {
  blankLine: 'blank line',
  badColumnCount: 'bad column count',
  nonNumericId: 'non-numeric id',
  idOutOfRange: 'id out of range',
  unknownBehavior: 'unknown behavior',
  invalidTime: 'invalid time',
  timeOutOfRange: 'time out of range',
  duplicate: 'duplicate',
  heldOutInTraining: 'held-out pair also in training',
} as const;

/** Pair counts of a dataset, for logs and reports. */
export interface DatasetSummary {
  readonly name: string;
  readonly users: number;
  readonly items: number;
  /** Training pairs per behavior, by behavior name. */
  readonly trainPairs: Readonly<Record<string, number>>;
  readonly validationPairs: number;
  readonly testPairs: number;
}

/** Returns the pair counts of a dataset. */
export function summarizeDataset(dataset: MultiBehaviorDataset): DatasetSummary {
  const trainPairs: Record<string, number> = {};
  dataset.behaviors.forEach((behavior, b) => {
    trainPairs[behavior] = dataset.train[b].users.length;
  });
  return {
    name: dataset.name,
    users: dataset.users,
    items: dataset.items,
    trainPairs,
    validationPairs: dataset.validation.users.length,
    testPairs: dataset.test.users.length,
  };
}

/**
 * Checks the shape of a dataset: positive counts, one train set per behavior, equal-length
 * arrays and every index in range. Throws `InvalidArgumentError` naming `operation`.
 */
export function validateDataset(operation: string, dataset: MultiBehaviorDataset): void {
  for (const field of ['users', 'items'] as const) {
    const value = dataset[field];
    if (!Number.isInteger(value) || value < 1) {
      throw new InvalidArgumentError(operation, `dataset.${field} must be a positive integer, got ${value}.`);
    }
  }
  if (dataset.behaviors.length < 1) {
    throw new InvalidArgumentError(operation, 'dataset.behaviors must name at least the target behavior, got an empty list.');
  }
  if (dataset.train.length !== dataset.behaviors.length) {
    throw new InvalidArgumentError(
      operation,
      `dataset.train must hold one set per behavior (${dataset.behaviors.length}), got ${dataset.train.length}.`,
    );
  }
  dataset.train.forEach((set, b) => checkInteractionSet(operation, `dataset.train[${b}]`, set, dataset));
  checkInteractionSet(operation, 'dataset.validation', dataset.validation, dataset);
  checkInteractionSet(operation, 'dataset.test', dataset.test, dataset);
}

function checkInteractionSet(
  operation: string,
  label: string,
  set: InteractionSet,
  dataset: MultiBehaviorDataset,
): void {
  if (!(set.users instanceof Int32Array) || !(set.items instanceof Int32Array)) {
    throw new InvalidArgumentError(operation, `${label}.users and .items must be Int32Arrays.`);
  }
  if (set.users.length !== set.items.length) {
    throw new InvalidArgumentError(
      operation,
      `${label} has ${set.users.length} users but ${set.items.length} items; the arrays must have equal length.`,
    );
  }
  for (let n = 0; n < set.users.length; n++) {
    const user = set.users[n];
    const item = set.items[n];
    if (user < 0 || user >= dataset.users) {
      throw new InvalidArgumentError(operation, `${label}.users[${n}] = ${user} is outside [0, ${dataset.users}).`);
    }
    if (item < 0 || item >= dataset.items) {
      throw new InvalidArgumentError(operation, `${label}.items[${n}] = ${item} is outside [0, ${dataset.items}).`);
    }
  }
}
