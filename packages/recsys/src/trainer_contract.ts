import type { GradientTransform, HostTensor } from '@mb/core';

import type { NeuMFConfig } from './neumf.js';

/**
 * Adam hyperparameters. `weightDecay` follows PyTorch's `torch.optim.Adam(weight_decay=...)`:
 * the L2 term `weightDecay * parameter` is added to the gradient before the moments are
 * updated (not decoupled as in AdamW), and both moments are bias-corrected.
 */
export interface AdamOptions {
  readonly learningRate?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  readonly weightDecay?: number;
}

/** Default Adam hyperparameters, those of PyTorch plus the weight decay the bench uses. */
export const DEFAULT_ADAM: Required<AdamOptions> = {
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
};

/** One training batch of (user, item) pairs with one binary label per task. */
export interface TrainingBatch {
  /** User index of each example, in [0, users). */
  readonly users: Int32Array;
  /** Item index of each example, in [0, items). */
  readonly items: Int32Array;
  /** One array per task, each with one 0/1 label per example. Task 0 is the target. */
  readonly labels: readonly Float32Array[];
}

/** Report of one training step, for logging. */
export interface StepReport {
  /** 1-based count of steps taken, skipped ones included. */
  readonly step: number;
  /** True when a gradient was NaN or infinite; parameters and state were then left unchanged. */
  readonly skipped: boolean;
  /** Loss of each task on the batch, before the update. */
  readonly losses: number[];
  /** L2 norm of each task's gradient for each shared parameter, indexed `[task][shared]`. */
  readonly taskNorms: number[][];
  /** Factor the transform applied to each task's gradient, indexed `[task][shared]`. */
  readonly taskWeights: number[][];
}

/** Options to create a NeuMF trainer on any backend. */
export interface NeuMFTrainerOptions {
  readonly model: NeuMFConfig;
  /** Initial parameters by layout name (see `neumfLayout`); every parameter is required. */
  readonly initialParameters: Readonly<Record<string, HostTensor>>;
  /** Balancing method applied to the shared parameters' task gradients. */
  readonly transform: GradientTransform;
  readonly adam?: AdamOptions;
}

/**
 * A NeuMF trainer as the bench drives it. Each adapter package implements it over its own
 * generic trainer, so that the bench can run the same seed and batches through every backend.
 */
export interface NeuMFTrainer {
  /** Backend name, for example `tfjs-cpu` or `onnx-cpu`. */
  readonly backendName: string;
  /** Runs one training step. */
  step(batch: TrainingBatch): Promise<StepReport>;
  /**
   * Returns the target task's logit for every item and each given user, row-major
   * `[users.length, items]`.
   */
  scoreAllItems(users: Int32Array): Promise<Float32Array>;
  /** Copies the current parameters to the host, by layout name. */
  parameters(): Promise<Record<string, HostTensor>>;
  /** Releases every resource the trainer holds. The trainer cannot be used afterwards. */
  dispose(): Promise<void>;
}
