import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, metaBalance } from '@mb/core';
import type { HostTensor } from '@mb/core';
import { neumfLayout } from '@mb/recsys';
import type { NeuMFConfig, TrainingBatch } from '@mb/recsys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createNeuMFTrainer } from './neumf_trainer.js';
import type { TfjsNeuMFTrainer } from './neumf_trainer.js';

const CONFIG: NeuMFConfig = { users: 7, items: 11, gmfDim: 3, mlpDim: 4, hidden: [5, 3], tasks: 4 };

function initialParameters(config: NeuMFConfig): Record<string, HostTensor> {
  const layout = neumfLayout(config);
  const result: Record<string, HostTensor> = {};
  [...layout.shared, ...layout.taskSpecific].forEach(({ name, shape }, p) => {
    const size = shape.reduce((a, b) => a * b, 1);
    result[name] = { shape, values: Float32Array.from({ length: size }, (_, i) => 0.4 * Math.sin(0.9 * i + 1.3 * p)) };
  });
  return result;
}

/** Deterministic batch `n` of 12 examples; users and items repeat within the batch. */
function batch(n: number, config: NeuMFConfig = CONFIG): TrainingBatch {
  const size = 12;
  const users = Int32Array.from({ length: size }, (_, i) => (i * 3 + n) % config.users);
  const items = Int32Array.from({ length: size }, (_, i) => (i * 5 + 2 * n) % config.items);
  const labels = Array.from({ length: config.tasks }, (_, k) => Float32Array.from({ length: size }, (_, i) => ((i + k * n) % (k + 2) === 0 ? 1 : 0)));
  return { users, items, labels };
}

/** NeuMF target logits in float64 from host parameters, written out without tfjs. */
function referenceLogit(parameters: Record<string, HostTensor>, config: NeuMFConfig, user: number, item: number): number {
  const row = (name: string, index: number, width: number) => Array.from(parameters[name].values.subarray(index * width, (index + 1) * width));
  const gmf = row('user_gmf.weight', user, config.gmfDim).map((u, d) => u * row('item_gmf.weight', item, config.gmfDim)[d]);
  let x = [...row('user_mlp.weight', user, config.mlpDim), ...row('item_mlp.weight', item, config.mlpDim)];
  config.hidden.forEach((width, layer) => {
    const w = parameters[`mlp.${layer}.weight`].values;
    const b = parameters[`mlp.${layer}.bias`].values;
    x = Array.from({ length: width }, (_, o) => Math.max(0, b[o] + x.reduce((sum, v, i) => sum + v * w[o * x.length + i], 0)));
  });
  const h = [...gmf, ...x];
  const head = parameters['heads.0.weight'].values;
  return parameters['heads.0.bias'].values[0] + h.reduce((sum, v, i) => sum + v * head[i], 0);
}

describe.each(['cpu', 'wasm'] as const)('createNeuMFTrainer on %s', (backend) => {
  let directory: string;
  const create = (options: { scoreBatchPairs?: number } = {}): Promise<TfjsNeuMFTrainer> =>
    createNeuMFTrainer({
      backend,
      model: CONFIG,
      initialParameters: initialParameters(CONFIG),
      transform: metaBalance(),
      adam: { learningRate: 0.01, weightDecay: 1e-6 },
      ...options,
    });

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mb-tfjs-neumf-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('trains a task with no positive labels', async () => {
    const trainer = await create();
    expect(trainer.backendName).toBe(`tfjs-${backend}`);
    for (let n = 0; n < 3; n++) {
      const b = batch(n);
      b.labels[3].fill(0);
      const report = await trainer.step(b);
      expect(report.skipped).toBe(false);
      expect(report.losses.every(Number.isFinite)).toBe(true);
      expect(report.taskWeights.flat().every(Number.isFinite)).toBe(true);
      expect(report.taskNorms[3].every((v) => v > 0)).toBe(true);
    }
    const parameters = await trainer.parameters();
    expect(Object.values(parameters).every((p) => p.values.every(Number.isFinite))).toBe(true);
    await trainer.dispose();
  });

  // 20 pairs put one user in each chunk, and the default puts all users in one chunk.
  it.each([20, undefined])('scores all items like a float64 forward pass (scoreBatchPairs %s)', async (scoreBatchPairs) => {
    const trainer = await create({ scoreBatchPairs });
    for (let n = 0; n < 2; n++) await trainer.step(batch(n));
    const users = Int32Array.from([0, 6, 2, 2]);
    const scores = await trainer.scoreAllItems(users);
    const parameters = await trainer.parameters();

    expect(scores.length).toBe(users.length * CONFIG.items);
    users.forEach((user, r) => {
      for (let item = 0; item < CONFIG.items; item++) {
        const expected = referenceLogit(parameters, CONFIG, user, item);
        expect(Math.abs(scores[r * CONFIG.items + item] - expected), `user ${user} item ${item}`).toBeLessThanOrEqual(1e-5);
      }
    });
    await expect(trainer.scoreAllItems(Int32Array.from([7]))).rejects.toThrow(InvalidArgumentError);
    await trainer.dispose();
  });

  it('releases every tensor and keeps the count flat', async () => {
    const before = tf.memory().numTensors;
    const trainer = await create();
    await trainer.step(batch(0));
    const afterFirst = tf.memory().numTensors;
    for (let n = 1; n < 50; n++) await trainer.step(batch(n));
    await trainer.scoreAllItems(Int32Array.from([1, 2]));
    expect(tf.memory().numTensors).toBe(afterFirst);
    await trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(trainer.scoreAllItems(Int32Array.from([1]))).rejects.toThrow('the trainer was disposed.');
    await expect(trainer.step(batch(0))).rejects.toThrow('the trainer was disposed.');
  });

  it('resumes bit-identically from a checkpoint', async () => {
    const first = await create();
    for (let n = 0; n < 3; n++) await first.step(batch(n));
    await first.save(join(directory, 'resume'));
    await first.dispose();

    const resumed = await create();
    await resumed.load(join(directory, 'resume'));
    const direct = await create();
    for (let n = 0; n < 3; n++) await direct.step(batch(n));
    for (let n = 3; n < 6; n++) {
      expect(await resumed.step(batch(n))).toEqual(await direct.step(batch(n)));
    }
    expect(await resumed.parameters()).toEqual(await direct.parameters());
    await resumed.dispose();
    await direct.dispose();
  });

  it('rejects malformed batches', async () => {
    const trainer = await create();
    const short = batch(0);
    await expect(trainer.step({ ...short, items: short.items.subarray(1) })).rejects.toThrow(
      'batch.items has 11 entries but batch.users has 12.',
    );
    await expect(trainer.step({ ...short, labels: short.labels.slice(1) })).rejects.toThrow(
      'batch.labels has 3 tasks but the model has 4.',
    );
    await expect(trainer.step({ ...short, users: short.users.map((u) => u + CONFIG.users) })).rejects.toThrow(InvalidArgumentError);
    expect(trainer.stepCount).toBe(0);
    await trainer.dispose();
  });
});

describe('createNeuMFTrainer arguments', () => {
  it('rejects missing and misshapen parameters', async () => {
    const parameters = initialParameters(CONFIG);
    const before = tf.memory().numTensors;
    const { ['mlp.1.bias']: _, ...missing } = parameters;
    await expect(createNeuMFTrainer({ model: CONFIG, initialParameters: missing, transform: metaBalance() })).rejects.toThrow(
      'initialParameters has no "mlp.1.bias".',
    );
    const misshapen = { ...parameters, 'heads.2.weight': { shape: [8], values: new Float32Array(8) } };
    await expect(createNeuMFTrainer({ model: CONFIG, initialParameters: misshapen, transform: metaBalance() })).rejects.toThrow(
      InvalidArgumentError,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
