import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, deserializeState, formatShape, serializeState, shapesEqual } from '@mb/core';
import type { GradientTransform, HostTensor, TransformState } from '@mb/core';
import type { AdamOptions, StepReport } from '@mb/recsys';

import { applyAdam, createAdamMoments, resolveAdamOptions } from './adam.js';
import type { AdamMoments } from './adam.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { checkEmbeddingIds, gatherRows, scatterRowGradients } from './embedding.js';
import { collectModelVariables } from './model.js';
import type { ModelVariables, MultiTaskModel } from './model.js';
import { fromHostTensor, tfjsOps, toHostTensor } from './tfjs_ops.js';

/** Options of `createTrainer`. */
export interface TrainerOptions<B> {
  readonly model: MultiTaskModel<B>;
  /** Balancing method for the shared variables' task gradients, for example `metaBalance()`. */
  readonly transform: GradientTransform;
  /** Adam hyperparameters, PyTorch semantics. Default `DEFAULT_ADAM` from `@mb/recsys`. */
  readonly adam?: AdamOptions;
  /**
   * When true, each report also carries the combined shared gradients and the task-specific
   * gradients on the host, for tests and debugging. It reads every gradient back, so it slows
   * steps down. Default false.
   */
  readonly reportGradients?: boolean;
}

/** Gradients of one step on the host, by variable name. */
export interface StepGradients {
  /** The transform's combined gradient of each shared variable (dense for embedding tables). */
  readonly combinedShared: Record<string, HostTensor>;
  /** The summed-loss gradient of each task-specific variable. */
  readonly taskSpecific: Record<string, HostTensor>;
}

/** A step report, with the gradients when `reportGradients` is set. */
export interface TrainerStepReport extends StepReport {
  readonly gradients?: StepGradients;
}

/** A multi-task trainer over tfjs variables. */
export interface MultiTaskTrainer<B> {
  /** Backend the trainer was created on, for example `tfjs-wasm`. */
  readonly backendName: string;
  /** Steps taken so far, skipped ones included. */
  readonly stepCount: number;
  /** Steps skipped because a loss or gradient was NaN or infinite. */
  readonly skippedSteps: number;
  /** Runs one training step on `batch`. */
  step(batch: B): Promise<TrainerStepReport>;
  /** Saves variables, Adam moments, transform state and step counts to `directory`. */
  save(directory: string): Promise<void>;
  /** Loads a checkpoint saved by a trainer with the same variables and transform. */
  load(directory: string): Promise<void>;
  /**
   * Releases the Adam moments and transform state. The model's variables belong to the caller
   * and stay alive. The trainer cannot be used afterwards.
   */
  dispose(): void;
}

type StepTensors = {
  readonly combined: tf.Tensor[];
  readonly taskSpecificGradients: tf.Tensor[];
  readonly state: Record<string, tf.Tensor>;
  /** Losses, task norms, task weights and the finite flag, flattened for one read. */
  readonly summary: tf.Tensor;
};

/**
 * Creates a trainer on the active tfjs backend (see `useBackend`). Each step takes every
 * task's gradient with respect to all inputs (one forward and backward pass per task),
 * combines the shared variables' gradients with `transform`, gives task-specific variables the
 * summed-loss gradient and applies Adam to all variables.
 *
 * A shared variable that a task's loss does not use gets a zero gradient for that task. Its
 * norm is then 0, and the core transforms give it no contribution.
 */
export function createTrainer<B>(options: TrainerOptions<B>): MultiTaskTrainer<B> {
  const operation = 'createTrainer';
  const { model, transform } = options;
  const adam = resolveAdamOptions(options.adam);
  const reportGradients = options.reportGradients ?? false;
  const layout = collectModelVariables(operation, model);
  const tasks = model.tasks;
  const backendName = tfjsOps.backendName;

  let moments: AdamMoments[] = layout.variables.map((v) => createAdamMoments(v));
  let state: TransformState<tf.Tensor> = transform.init(tfjsOps, {
    tasks,
    sharedShapes: layout.variables.slice(0, layout.sharedCount).map((v) => v.shape),
  });
  let stepCount = 0;
  let appliedSteps = 0;
  let skippedSteps = 0;
  let disposed = false;

  let busy = false;

  function checkUsable(method: string): void {
    if (disposed) throw new InvalidArgumentError(method, 'the trainer was disposed.');
    if (busy) {
      throw new InvalidArgumentError(method, 'another step, save or load of this trainer is still running. Await it first.');
    }
  }

  /** Runs `body` while no other step, save or load of this trainer runs. */
  async function exclusive<R>(method: string, body: () => Promise<R>): Promise<R> {
    checkUsable(method);
    busy = true;
    try {
      return await body();
    } finally {
      busy = false;
    }
  }

  async function runStep(batch: B): Promise<TrainerStepReport> {
    const idTensors = embeddingIdTensors(layout, model, batch);
    let tensors: StepTensors;
    try {
      tensors = tf.tidy(() => computeStep(layout, model, transform, state, idTensors, batch));
    } finally {
      for (const ids of Object.values(idTensors)) ids.dispose();
    }

    // The single read of the step: losses, norms, weights and the finite flag.
    const summary = (await tensors.summary.data()) as Float32Array;
    const gradients = reportGradients ? await readGradients(layout, tensors) : undefined;
    const losses = Array.from(summary.subarray(0, tasks));
    const sharedCount = layout.sharedCount;
    const taskNorms = unflatten(summary.subarray(tasks, tasks + tasks * sharedCount), sharedCount);
    const taskWeights = unflatten(summary.subarray(tasks + tasks * sharedCount, tasks + 2 * tasks * sharedCount), sharedCount);
    const finite = summary[summary.length - 1] === 1;

    stepCount += 1;
    if (finite) {
      appliedSteps += 1;
      const update = appliedSteps;
      const gradientsInOrder = [...tensors.combined, ...tensors.taskSpecificGradients];
      const next = tf.tidy(() => layout.variables.map((v, i) => applyAdam(v, gradientsInOrder[i], moments[i], update, adam)));
      disposeMoments(moments);
      moments = next;
      disposeStateExcept(state.tensors, tensors.state);
      state = { method: state.method, signature: state.signature, tensors: tensors.state };
    } else {
      skippedSteps += 1;
      disposeStateExcept(tensors.state, state.tensors);
    }
    tf.dispose([tensors.combined, tensors.taskSpecificGradients, tensors.summary]);

    const report: TrainerStepReport = { step: stepCount, skipped: !finite, losses, taskNorms, taskWeights };
    return gradients === undefined ? report : { ...report, gradients };
  }

  async function runSave(directory: string): Promise<void> {
    const hostTensors: Record<string, HostTensor> = {};
    for (let i = 0; i < layout.names.length; i++) {
      const name = layout.names[i];
      hostTensors[name] = await toHostTensor(layout.variables[i]);
      hostTensors[`adam.m/${name}`] = await toHostTensor(moments[i].m);
      hostTensors[`adam.v/${name}`] = await toHostTensor(moments[i].v);
    }
    await writeCheckpoint(directory, {
      step: stepCount,
      appliedSteps,
      skippedSteps,
      tensors: hostTensors,
      transformState: await serializeState(state, toHostTensor),
    });
  }

  async function runLoad(directory: string): Promise<void> {
    const contents = await readCheckpoint(directory);
    const method = 'trainer.load';
    for (let i = 0; i < layout.names.length; i++) {
      for (const key of [layout.names[i], `adam.m/${layout.names[i]}`, `adam.v/${layout.names[i]}`]) {
        const host = contents.tensors[key];
        if (host === undefined) {
          throw new InvalidArgumentError(method, `checkpoint in ${directory} has no tensor "${key}".`);
        }
        if (!shapesEqual(host.shape, layout.variables[i].shape)) {
          throw new InvalidArgumentError(
            method,
            `checkpoint tensor "${key}" has shape ${formatShape(host.shape)} but the model's variable has shape ` +
              `${formatShape(layout.variables[i].shape)}.`,
          );
        }
      }
    }
    if (contents.transformState.signature !== state.signature) {
      throw new InvalidArgumentError(
        method,
        `checkpoint transform state was built for "${contents.transformState.signature}" but this trainer uses "${state.signature}".`,
      );
    }

    const loadedState = deserializeState(contents.transformState, fromHostTensor);
    tf.tidy(() => {
      layout.variables.forEach((v, i) => v.assign(fromHostTensor(contents.tensors[layout.names[i]])));
    });
    disposeMoments(moments);
    moments = layout.names.map((name) => ({
      m: fromHostTensor(contents.tensors[`adam.m/${name}`]),
      v: fromHostTensor(contents.tensors[`adam.v/${name}`]),
    }));
    tf.dispose(Object.values(state.tensors));
    state = loadedState;
    stepCount = contents.step;
    appliedSteps = contents.appliedSteps;
    skippedSteps = contents.skippedSteps;
  }

  function dispose(): void {
    if (disposed) return;
    if (busy) {
      throw new InvalidArgumentError('trainer.dispose', 'a step, save or load of this trainer is still running. Await it first.');
    }
    disposed = true;
    disposeMoments(moments);
    tf.dispose(Object.values(state.tensors));
  }

  return {
    backendName,
    get stepCount() {
      return stepCount;
    },
    get skippedSteps() {
      return skippedSteps;
    },
    step: (batch) => exclusive('trainer.step', () => runStep(batch)),
    save: (directory) => exclusive('trainer.save', () => runSave(directory)),
    load: (directory) => exclusive('trainer.load', () => runLoad(directory)),
    dispose,
  };
}

/** Checks the batch's embedding ids on the host and uploads them, one int32 tensor per table. */
function embeddingIdTensors<B>(layout: ModelVariables, model: MultiTaskModel<B>, batch: B): Record<string, tf.Tensor1D> {
  const tables = layout.names.filter((_, i) => layout.isEmbedding[i]);
  if (tables.length === 0) return {};
  const ids = model.embeddingIds!(batch);
  const result: Record<string, tf.Tensor1D> = {};
  try {
    for (const table of tables) {
      const tableIds = ids[table];
      if (tableIds === undefined) {
        throw new InvalidArgumentError('trainer.step', `model.embeddingIds returned no ids for embedding table "${table}".`);
      }
      checkEmbeddingIds('trainer.step', table, tableIds, layout.variables[layout.names.indexOf(table)].shape[0]);
      result[table] = tf.tensor1d(tableIds, 'int32');
    }
  } catch (error) {
    tf.dispose(Object.values(result));
    throw error;
  }
  return result;
}

/** Computes one step's gradients, combined gradients and transform state. Runs inside `tf.tidy`. */
function computeStep<B>(
  layout: ModelVariables,
  model: MultiTaskModel<B>,
  transform: GradientTransform,
  state: TransformState<tf.Tensor>,
  idTensors: Record<string, tf.Tensor1D>,
  batch: B,
): StepTensors {
  const tasks = model.tasks;
  const inputs: Record<string, tf.Tensor> = {};
  const inputList = layout.names.map((name, i) => {
    const input = layout.isEmbedding[i] ? gatherRows(layout.variables[i], idTensors[name]) : layout.variables[i];
    inputs[name] = input;
    return input;
  });

  // One pass per task, because the balancer needs each task's gradient separately.
  const losses: tf.Tensor[] = [];
  const taskGradients: tf.Tensor[][] = [];
  for (let k = 0; k < tasks; k++) {
    // `tf.engine().gradients` is the engine method behind `tf.grads` (tfjs 4.22). Unlike
    // `tf.grads`, it returns null for an input the loss does not use instead of throwing.
    const { value, grads } = tf.engine().gradients(() => selectLoss(model, inputs, batch, k), inputList, undefined, true);
    losses.push(value);
    // A null gradient means the loss does not depend on that input, so the gradient is zero.
    taskGradients.push(
      layout.names.map((name, i) => {
        const g = grads[i] ?? tf.zerosLike(inputList[i]);
        return layout.isEmbedding[i] ? scatterRowGradients(idTensors[name], g, layout.variables[i].shape) : g;
      }),
    );
  }

  const sharedGradients = taskGradients.map((g) => g.slice(0, layout.sharedCount));
  const result = transform.update(
    tfjsOps,
    transform.requiresLosses ? { taskGradients: sharedGradients, losses } : { taskGradients: sharedGradients },
    state,
  );

  const taskSpecificGradients: tf.Tensor[] = [];
  for (let i = layout.sharedCount; i < layout.names.length; i++) {
    taskSpecificGradients.push(tf.addN(taskGradients.map((g) => g[i])));
  }

  // The transform checks only the shared gradients, but task-specific gradients and losses count too.
  let finite = result.finite;
  for (const g of taskSpecificGradients) finite = tf.mul(finite, tfjsOps.allFinite(g));
  for (const loss of losses) finite = tf.mul(finite, tfjsOps.allFinite(loss));

  const summary = tf.concat([
    tf.stack(losses),
    tf.stack(result.taskNorms.flat()),
    tf.stack(result.taskWeights.flat()),
    tf.reshape(finite, [1]),
  ]);
  return { combined: result.combined, taskSpecificGradients, state: { ...result.state.tensors }, summary };
}

function selectLoss<B>(model: MultiTaskModel<B>, inputs: Record<string, tf.Tensor>, batch: B, task: number): tf.Scalar {
  const losses = model.losses(inputs, batch);
  if (!Array.isArray(losses) || losses.length !== model.tasks) {
    throw new InvalidArgumentError(
      'trainer.step',
      `model.losses must return ${model.tasks} losses (one per task), got ${Array.isArray(losses) ? losses.length : typeof losses}.`,
    );
  }
  const loss = losses[task];
  if (!(loss instanceof tf.Tensor) || loss.rank !== 0) {
    throw new InvalidArgumentError(
      'trainer.step',
      `model.losses()[${task}] must be a rank-0 tensor, got ${loss instanceof tf.Tensor ? `shape ${formatShape(loss.shape)}` : typeof loss}.`,
    );
  }
  return (loss.dtype === 'float32' ? loss : tf.cast(loss, 'float32')) as tf.Scalar;
}

async function readGradients(layout: ModelVariables, tensors: StepTensors): Promise<StepGradients> {
  const combinedShared: Record<string, HostTensor> = {};
  const taskSpecific: Record<string, HostTensor> = {};
  for (let i = 0; i < layout.sharedCount; i++) combinedShared[layout.names[i]] = await toHostTensor(tensors.combined[i]);
  for (let i = layout.sharedCount; i < layout.names.length; i++) {
    taskSpecific[layout.names[i]] = await toHostTensor(tensors.taskSpecificGradients[i - layout.sharedCount]);
  }
  return { combinedShared, taskSpecific };
}

function unflatten(values: Float32Array, width: number): number[][] {
  const rows: number[][] = [];
  for (let start = 0; start < values.length; start += width) rows.push(Array.from(values.subarray(start, start + width)));
  return rows;
}

function disposeMoments(moments: readonly AdamMoments[]): void {
  for (const { m, v } of moments) tf.dispose([m, v]);
}

/** Disposes the tensors of `tensors` that `keep` does not also hold. */
function disposeStateExcept(tensors: Readonly<Record<string, tf.Tensor>>, keep: Readonly<Record<string, tf.Tensor>>): void {
  const kept = new Set(Object.values(keep));
  for (const x of Object.values(tensors)) {
    if (!kept.has(x)) x.dispose();
  }
}
