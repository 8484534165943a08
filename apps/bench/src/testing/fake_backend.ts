import { neumfLayout } from '@mb/recsys';
import type { NeuMFTrainer, NeuMFTrainerOptions, StepReport } from '@mb/recsys';

import { BackendUnavailableError } from '../backends/types.js';
import type { BackendEntry } from '../backends/types.js';

/** Faults a fake backend injects. */
export interface FakeBackendOptions {
  /** Multiplies every loss after the first step, to provoke a cross-check warning. */
  readonly lossFactor?: number;
  /** 1-based step at which `step` throws. */
  readonly failAtStep?: number;
  /** Makes `load` throw `BackendUnavailableError`. */
  readonly unavailable?: boolean;
}

/**
 * Creates a backend whose trainer computes no model: each loss is the batch's label mean of its
 * task plus a term that shrinks with the step count, and items score by ascending index. Tests
 * use it to drive the bench's plumbing deterministically and in milliseconds.
 */
export function fakeBackend(name: string, options: FakeBackendOptions = {}): BackendEntry {
  return {
    name,
    description: 'fake backend for tests',
    trains: true,
    async load() {
      if (options.unavailable === true) throw new BackendUnavailableError(name, 'the fake library is missing.');
      return { name, createTrainer: async (trainerOptions) => fakeTrainer(name, trainerOptions, options) };
    },
  };
}

function fakeTrainer(name: string, trainerOptions: NeuMFTrainerOptions, options: FakeBackendOptions): NeuMFTrainer {
  const { model } = trainerOptions;
  const shared = neumfLayout(model).shared.length;
  let step = 0;
  let disposed = false;
  return {
    backendName: name,
    async step(batch): Promise<StepReport> {
      if (disposed) throw new Error('fake trainer used after dispose');
      step += 1;
      if (step === options.failAtStep) throw new Error(`fake failure at step ${step}`);
      const factor = step > 1 ? (options.lossFactor ?? 1) : 1;
      const losses = batch.labels.map((labels) => (labels.reduce((a, b) => a + b, 0) / labels.length + 1 / step) * factor);
      const taskNorms = batch.labels.map((_, k) => new Array<number>(shared).fill(k + 1));
      const taskWeights = batch.labels.map(() => new Array<number>(shared).fill(1));
      return { step, skipped: false, losses, taskNorms, taskWeights };
    },
    async scoreAllItems(users) {
      const scores = new Float32Array(users.length * model.items);
      for (let u = 0; u < users.length; u++) {
        for (let i = 0; i < model.items; i++) scores[u * model.items + i] = -i;
      }
      return scores;
    },
    async parameters() {
      return { ...trainerOptions.initialParameters };
    },
    async dispose() {
      disposed = true;
    },
  };
}
