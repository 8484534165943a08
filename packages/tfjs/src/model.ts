import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, formatShape } from '@mb/core';

/**
 * A user model as the generic trainer uses it: named variables split into shared and
 * task-specific ones, and a function from the current inputs and a batch to one loss per task.
 *
 * Embedding tables are shared or task-specific rank-2 variables listed in `embeddingTables`.
 * For those, `losses` receives the rows the batch reads (`[ids.length, dim]`, gathered by the
 * trainer from `embeddingIds(batch)`) instead of the whole table, and the trainer scatter-adds
 * the gradient of those rows into a dense table gradient. tfjs differentiates `gather` through
 * `UnsortedSegmentSum`, which is very slow on cpu and missing on wasm, so a model must never
 * call `tf.gather` on a table inside `losses`.
 */
export interface MultiTaskModel<B> {
  /** Number of tasks; task 0 is the target. At least 2. */
  readonly tasks: number;
  /** Variables every task's loss may depend on, by name. Their order is the order of the balancer's tensors. */
  readonly shared: Readonly<Record<string, tf.Variable>>;
  /** Variables trained with the plain summed-loss gradient, by name (for example task heads). */
  readonly taskSpecific?: Readonly<Record<string, tf.Variable>>;
  /** Names of the variables that are embedding tables. Default none. */
  readonly embeddingTables?: readonly string[];
  /** Row ids each embedding table reads for `batch`, by table name; one lookup per table and batch. */
  embeddingIds?(batch: B): Readonly<Record<string, Int32Array>>;
  /**
   * Returns one rank-0 loss per task for `batch`. `inputs[name]` is the variable's value for a
   * dense variable and the gathered rows for an embedding table. Gradients are taken with
   * respect to `inputs`, so the function must compute from them, not from the variables.
   */
  losses(inputs: Readonly<Record<string, tf.Tensor>>, batch: B): tf.Tensor[];
}

/** A model's variables in trainer order: shared ones first, then task-specific ones. */
export interface ModelVariables {
  readonly names: readonly string[];
  readonly variables: readonly tf.Variable[];
  /** Number of shared variables at the start of `names`. */
  readonly sharedCount: number;
  /** True at the index of each embedding table. */
  readonly isEmbedding: readonly boolean[];
}

/** Checks a model and lists its variables in trainer order. */
export function collectModelVariables<B>(operation: string, model: MultiTaskModel<B>): ModelVariables {
  if (!Number.isInteger(model.tasks) || model.tasks < 2) {
    throw new InvalidArgumentError(operation, `model.tasks must be an integer of at least 2, got ${model.tasks}.`);
  }
  const sharedNames = Object.keys(model.shared);
  if (sharedNames.length === 0) {
    throw new InvalidArgumentError(operation, 'model.shared must contain at least one variable, got none.');
  }
  const taskNames = Object.keys(model.taskSpecific ?? {});
  const names = [...sharedNames, ...taskNames];
  const variables = [...sharedNames.map((n) => model.shared[n]), ...taskNames.map((n) => model.taskSpecific![n])];

  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name)) {
      throw new InvalidArgumentError(operation, `variable name "${name}" appears in both model.shared and model.taskSpecific.`);
    }
    seen.add(name);
    const variable = variables[i];
    if (!(variable instanceof tf.Variable)) {
      throw new InvalidArgumentError(operation, `"${name}" must be a tf.Variable.`);
    }
    if (variable.dtype !== 'float32') {
      throw new InvalidArgumentError(operation, `variable "${name}" must be float32, got ${variable.dtype}.`);
    }
  });

  const tables = model.embeddingTables ?? [];
  for (const table of tables) {
    const index = names.indexOf(table);
    if (index < 0) {
      throw new InvalidArgumentError(operation, `model.embeddingTables names "${table}", which is not a model variable.`);
    }
    if (variables[index].rank !== 2) {
      throw new InvalidArgumentError(
        operation,
        `embedding table "${table}" must be rank 2, got shape ${formatShape(variables[index].shape)}.`,
      );
    }
  }
  if (tables.length > 0 && typeof model.embeddingIds !== 'function') {
    throw new InvalidArgumentError(operation, 'model.embeddingIds is required when model.embeddingTables is not empty.');
  }

  return {
    names,
    variables,
    sharedCount: sharedNames.length,
    isEmbedding: names.map((name) => tables.includes(name)),
  };
}
