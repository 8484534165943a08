import { InvalidArgumentError, formatShape, referenceOps, shapesEqual } from '@mb/core';
import type { GradientTransform, HostTensor, TransformState } from '@mb/core';
import type { AdamOptions } from '@mb/recsys';
import ort from 'onnxruntime-node';

import { adamBiasCorrectedFactors, resolveAdamOptions } from './adam.js';
import type { ResolvedAdamOptions } from './adam.js';
import { serializeModel } from './onnx_export.js';
import { createSession, floatTensor, resolveExecutionProvider, toHostTensor } from './session.js';
import type { SessionOptions } from './session.js';
import { buildTrainingGraph, stepNames } from './training_graph.js';
import { stabilizeTransformState } from './transform_state.js';
import type { ModelDefinition } from './training_graph.js';

/** Options of `createTrainer`. */
export interface TrainerOptions extends SessionOptions {
  readonly model: ModelDefinition;
  /** Initial value of every parameter, by name. */
  readonly initialParameters: Readonly<Record<string, HostTensor>>;
  /** Balancing method for the shared parameters, or `null` for one backward pass of the summed loss. */
  readonly transform: GradientTransform | null;
  readonly adam?: AdamOptions;
  /** Also return the gradient handed to Adam for every parameter. Default false. */
  readonly outputGradients?: boolean;
  /** Pack the traced transform's rank-0 operations into vector operations. Default true. */
  readonly packScalars?: boolean;
}

/** Result of one step. Norms and weights are indexed `[task][shared]` and empty without a transform. */
export interface TrainerStepResult {
  /** 1-based count of steps taken, skipped ones included. */
  readonly step: number;
  readonly skipped: boolean;
  readonly losses: number[];
  readonly taskNorms: number[][];
  readonly taskWeights: number[][];
  /** Gradients by parameter name, when `outputGradients` is set. */
  readonly gradients?: Record<string, HostTensor>;
}

/** Counters and state tensors of a trainer, as stored in a checkpoint. */
export interface TrainerSnapshot {
  readonly stepsTaken: number;
  readonly updatesApplied: number;
  readonly skippedSteps: number;
  /** Every state input by graph input name: parameters, moments and transform state. */
  readonly tensors: Record<string, HostTensor>;
  readonly transformState: TransformState<HostTensor> | null;
}

/**
 * A multi-task trainer that runs each training step as one `session.run` of a graph built by
 * `buildTrainingGraph`. State tensors stay in onnxruntime tensors between steps: each step's
 * outputs are fed as the next step's inputs without copying.
 *
 * The graph has static shapes, so one session is built per batch size on first use and cached;
 * `release()` releases all of them.
 */
export class Trainer {
  /** Steps taken, skipped ones included. */
  stepsTaken = 0;
  /** Steps whose update was applied. Adam's bias correction counts these, as PyTorch does. */
  updatesApplied = 0;
  /** Steps skipped because a gradient or loss was NaN or infinite. */
  skippedSteps = 0;

  private readonly sessions = new Map<number, Promise<ort.InferenceSession>>();
  private state: Record<string, ort.Tensor> = {};
  private spare: Record<string, ort.Tensor> = {};
  private transformState: TransformState<HostTensor> | null;
  private released = false;

  private constructor(
    readonly options: TrainerOptions,
    readonly adam: ResolvedAdamOptions,
  ) {
    const { model, initialParameters } = options;
    for (const spec of [...model.shared, ...model.taskSpecific]) {
      const host = initialParameters[spec.name];
      if (host === undefined) throw new InvalidArgumentError('createTrainer', `initialParameters is missing "${spec.name}".`);
      if (!shapesEqual(host.shape, spec.shape)) {
        throw new InvalidArgumentError(
          'createTrainer',
          `initialParameters["${spec.name}"] has shape ${formatShape(host.shape)}, expected ${formatShape(spec.shape)}.`,
        );
      }
      this.state[stepNames.parameter(spec.name)] = floatTensor({ shape: host.shape, values: Float32Array.from(host.values) });
      this.state[stepNames.firstMoment(spec.name)] = floatTensor({ shape: spec.shape, values: new Float32Array(host.values.length) });
      this.state[stepNames.secondMoment(spec.name)] = floatTensor({ shape: spec.shape, values: new Float32Array(host.values.length) });
    }
    const spec = { tasks: model.tasks, sharedShapes: model.shared.map((s) => s.shape) };
    this.transformState =
      options.transform === null ? null : stabilizeTransformState(options.transform, spec, options.transform.init(referenceOps, spec));
    for (const [key, host] of Object.entries(this.transformState?.tensors ?? {})) {
      this.state[stepNames.transformState(key)] = floatTensor(host);
    }
  }

  /** Creates a trainer. Sessions are created on the first step of each batch size. */
  static create(options: TrainerOptions): Trainer {
    resolveExecutionProvider('createTrainer', options);
    const adam = resolveAdamOptions('createTrainer', options.adam);
    return new Trainer(options, adam);
  }

  /** Runs one training step on a batch given as onnxruntime tensors by batch input name. */
  async step(batch: Readonly<Record<string, ort.Tensor>>, batchSize: number): Promise<TrainerStepResult> {
    this.checkAlive('Trainer.step');
    const session = await this.session(batchSize);
    const feeds: Record<string, ort.Tensor> = { ...this.state, ...batch };
    feeds[stepNames.step] = new ort.Tensor('float32', adamBiasCorrectedFactors(this.adam, this.updatesApplied + 1), [2]);
    const results = await session.run(feeds, this.fetches());

    // The outputs were written into the spare buffers, and the inputs become the next spares.
    for (const name of Object.keys(this.state)) {
      const previous = this.state[name];
      this.state[name] = results[stepNames.next(name)] as ort.Tensor;
      this.spare[name] = previous;
    }
    const skipped = (results[stepNames.finite].data as Float32Array)[0] === 0;
    this.stepsTaken++;
    if (skipped) this.skippedSteps++;
    else this.updatesApplied++;

    const tasks = this.options.model.tasks;
    const shared = this.options.transform === null ? 0 : this.options.model.shared.length;
    const rows = (values: Float32Array) => Array.from({ length: shared === 0 ? 0 : tasks }, (_, k) => Array.from(values.subarray(k * shared, (k + 1) * shared)));
    let gradients: Record<string, HostTensor> | undefined;
    if (this.options.outputGradients === true) {
      gradients = {};
      for (const spec of [...this.options.model.shared, ...this.options.model.taskSpecific]) {
        gradients[spec.name] = toHostTensor(results[stepNames.gradient(spec.name)] as ort.Tensor);
      }
    }
    return {
      step: this.stepsTaken,
      skipped,
      losses: Array.from(results[stepNames.losses].data as Float32Array),
      taskNorms: rows(results[stepNames.taskNorms].data as Float32Array),
      taskWeights: rows(results[stepNames.taskWeights].data as Float32Array),
      gradients,
    };
  }

  /**
   * Returns the current onnxruntime tensor of a parameter, for feeding another session without a
   * copy. The next step reuses its buffer for output, so it is valid only until then.
   */
  parameterTensor(name: string): ort.Tensor {
    const tensor = this.state[stepNames.parameter(name)];
    if (tensor === undefined) throw new InvalidArgumentError('Trainer.parameterTensor', `no parameter named "${name}".`);
    return tensor;
  }

  /** Copies every parameter to the host, by name. */
  parameters(): Record<string, HostTensor> {
    this.checkAlive('Trainer.parameters');
    const result: Record<string, HostTensor> = {};
    for (const spec of [...this.options.model.shared, ...this.options.model.taskSpecific]) {
      result[spec.name] = toHostTensor(this.parameterTensor(spec.name));
    }
    return result;
  }

  /**
   * Copies the counters and every state tensor to the host. The transform state keeps the
   * method and signature it was built with, so `restore` into another configuration fails.
   */
  snapshot(): TrainerSnapshot {
    this.checkAlive('Trainer.snapshot');
    const tensors: Record<string, HostTensor> = {};
    for (const [name, tensor] of Object.entries(this.state)) tensors[name] = toHostTensor(tensor);
    let transformState: TransformState<HostTensor> | null = null;
    if (this.transformState !== null) {
      const stateTensors: Record<string, HostTensor> = {};
      for (const key of Object.keys(this.transformState.tensors)) stateTensors[key] = tensors[stepNames.transformState(key)];
      transformState = { method: this.transformState.method, signature: this.transformState.signature, tensors: stateTensors };
    }
    return {
      stepsTaken: this.stepsTaken,
      updatesApplied: this.updatesApplied,
      skippedSteps: this.skippedSteps,
      tensors,
      transformState,
    };
  }

  /** Replaces the counters and state tensors with a snapshot taken from a trainer of the same configuration. */
  restore(snapshot: TrainerSnapshot): void {
    const operation = 'Trainer.restore';
    this.checkAlive(operation);
    const expected = this.transformState;
    if ((expected === null) !== (snapshot.transformState === null)) {
      throw new InvalidArgumentError(operation, 'the snapshot and the trainer disagree on whether a transform is used.');
    }
    if (expected !== null && snapshot.transformState!.signature !== expected.signature) {
      throw new InvalidArgumentError(
        operation,
        `the snapshot's transform state was built for "${snapshot.transformState!.signature}" but this trainer uses "${expected.signature}".`,
      );
    }
    const next: Record<string, ort.Tensor> = {};
    for (const [name, current] of Object.entries(this.state)) {
      const host = snapshot.tensors[name];
      if (host === undefined) throw new InvalidArgumentError(operation, `the snapshot is missing tensor "${name}".`);
      if (!shapesEqual(host.shape, current.dims)) {
        throw new InvalidArgumentError(operation, `tensor "${name}" has shape ${formatShape(host.shape)}, expected ${formatShape(current.dims)}.`);
      }
      next[name] = floatTensor({ shape: host.shape, values: Float32Array.from(host.values) });
    }
    this.state = next;
    this.spare = {};
    this.stepsTaken = snapshot.stepsTaken;
    this.updatesApplied = snapshot.updatesApplied;
    this.skippedSteps = snapshot.skippedSteps;
  }

  /** Releases every session. The trainer cannot be used afterwards. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of sessions) await (await session).release();
    this.state = {};
    this.spare = {};
  }

  /**
   * Builds the output buffers for one run. Every next-state output goes into a preallocated spare tensor,
   * so onnxruntime writes into memory JavaScript already owns instead of allocating and copying
   * about three times the model size per step. Other outputs are allocated by onnxruntime.
   */
  private fetches(): Record<string, ort.Tensor | null> {
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const name of Object.keys(this.state)) {
      let spare = this.spare[name];
      if (spare === undefined) {
        const current = this.state[name];
        spare = new ort.Tensor('float32', new Float32Array(current.size), current.dims);
        this.spare[name] = spare;
      }
      fetches[stepNames.next(name)] = spare;
    }
    for (const name of [stepNames.losses, stepNames.taskNorms, stepNames.taskWeights, stepNames.finite]) fetches[name] = null;
    if (this.options.outputGradients === true) {
      for (const spec of [...this.options.model.shared, ...this.options.model.taskSpecific]) fetches[stepNames.gradient(spec.name)] = null;
    }
    return fetches;
  }

  private session(batchSize: number): Promise<ort.InferenceSession> {
    let session = this.sessions.get(batchSize);
    if (session === undefined) {
      const { graph } = buildTrainingGraph({
        model: this.options.model,
        transform: this.options.transform,
        transformState: this.transformState,
        adam: this.adam,
        batchSize,
        outputGradients: this.options.outputGradients,
      });
      session = createSession('Trainer.step', serializeModel(graph, 'training_step', { packScalars: this.options.packScalars ?? true }), this.options);
      this.sessions.set(batchSize, session);
      // A failed creation is not cached, so a later call reports the error again.
      session.catch(() => this.sessions.delete(batchSize));
    }
    return session;
  }

  private checkAlive(operation: string): void {
    if (this.released) throw new InvalidArgumentError(operation, 'the trainer was released; create a new one.');
  }
}

/** Creates a `Trainer`. See `TrainerOptions`. */
export function createTrainer(options: TrainerOptions): Trainer {
  return Trainer.create(options);
}
