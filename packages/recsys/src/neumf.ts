import { InvalidArgumentError } from '@mb/core';

/**
 * Size of a shared-bottom NeuMF with one logit head per task.
 *
 * Layout, identical on every backend (names follow PyTorch's `state_dict`):
 * - embeddings `user_gmf.weight` [users, gmfDim], `item_gmf.weight` [items, gmfDim],
 *   `user_mlp.weight` [users, mlpDim], `item_mlp.weight` [items, mlpDim];
 * - MLP layers `mlp.{i}.weight` [hidden[i], in] and `mlp.{i}.bias` [hidden[i]], where `in` is
 *   `2 * mlpDim` for the first layer and `hidden[i - 1]` after it, each computing
 *   `relu(x @ W^T + b)` (ReLU after every layer, the last included);
 * - shared output `concat(user_gmf[u] * item_gmf[i], mlp(concat(user_mlp[u], item_mlp[i])))` of
 *   width `gmfDim + hidden[last]`;
 * - heads `heads.{k}.weight` [1, gmfDim + hidden[last]] and `heads.{k}.bias` [1], task k's logit
 *   being `head_k(shared output)`;
 * - `loss_k` is the mean binary cross-entropy with logits over the batch. Task 0 is the target.
 *
 * The embeddings and MLP tensors are shared; the heads are task-specific.
 */
export interface NeuMFConfig {
  readonly users: number;
  readonly items: number;
  readonly gmfDim: number;
  readonly mlpDim: number;
  /** Output width of each MLP layer; at least one layer. */
  readonly hidden: readonly number[];
  /** Number of tasks (heads), at least 2. */
  readonly tasks: number;
}

/** A named parameter and its shape. */
export interface ParameterSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The parameter layout of a NeuMF, split into shared and task-specific parameters. */
export interface NeuMFLayout {
  readonly shared: readonly ParameterSpec[];
  readonly taskSpecific: readonly ParameterSpec[];
}

/** Checks a NeuMF config, naming the bad field and value. */
export function validateNeuMFConfig(config: NeuMFConfig): void {
  const operation = 'neumfLayout';
  for (const field of ['users', 'items', 'gmfDim', 'mlpDim'] as const) {
    const value = config[field];
    if (!Number.isInteger(value) || value < 1) {
      throw new InvalidArgumentError(operation, `config.${field} must be a positive integer, got ${value}.`);
    }
  }
  if (!Array.isArray(config.hidden) || config.hidden.length === 0) {
    throw new InvalidArgumentError(operation, `config.hidden must list at least one layer width, got ${JSON.stringify(config.hidden)}.`);
  }
  config.hidden.forEach((width, i) => {
    if (!Number.isInteger(width) || width < 1) {
      throw new InvalidArgumentError(operation, `config.hidden[${i}] must be a positive integer, got ${width}.`);
    }
  });
  if (!Number.isInteger(config.tasks) || config.tasks < 2) {
    throw new InvalidArgumentError(operation, `config.tasks must be an integer of at least 2, got ${config.tasks}.`);
  }
}

/** Returns the parameter names and shapes of a NeuMF, shared parameters first. */
export function neumfLayout(config: NeuMFConfig): NeuMFLayout {
  validateNeuMFConfig(config);

  const shared: ParameterSpec[] = [
    { name: 'user_gmf.weight', shape: [config.users, config.gmfDim] },
    { name: 'item_gmf.weight', shape: [config.items, config.gmfDim] },
    { name: 'user_mlp.weight', shape: [config.users, config.mlpDim] },
    { name: 'item_mlp.weight', shape: [config.items, config.mlpDim] },
  ];
  let width = 2 * config.mlpDim;
  config.hidden.forEach((out, i) => {
    shared.push({ name: `mlp.${i}.weight`, shape: [out, width] });
    shared.push({ name: `mlp.${i}.bias`, shape: [out] });
    width = out;
  });

  const headWidth = config.gmfDim + width;
  const taskSpecific: ParameterSpec[] = [];
  for (let k = 0; k < config.tasks; k++) {
    taskSpecific.push({ name: `heads.${k}.weight`, shape: [1, headWidth] });
    taskSpecific.push({ name: `heads.${k}.bias`, shape: [1] });
  }
  return { shared, taskSpecific };
}
