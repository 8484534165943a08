import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, TRANSFORM_METHODS, createTransform, equalWeighting, metaBalance } from '@mb/core';
import type { GradientTransform } from '@mb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { useBackend } from './backend.js';
import type { MultiTaskModel } from './model.js';
import { createTrainer } from './trainer.js';

/** A toy batch: one embedding id and one label per task for each example. */
interface ToyBatch {
  ids: Int32Array;
  labels: Float32Array[];
}

const TASKS = 3;
const ROWS = 6;

/**
 * Creates the variables of a three-task toy model: an embedding table [6, 3], a dense layer
 * [3, 2] and an offset [2] that only tasks 0 and 1 use, all shared, plus one head [2] per task.
 * Each task's loss is the mean squared error of `sigmoid(sum((tanh(rows @ dense) + offset) * head))`.
 */
function toyVariables(): Record<string, tf.Variable> {
  const values = (count: number, phase: number) => Array.from({ length: count }, (_, i) => 0.8 * Math.sin(1.7 * i + phase));
  return {
    table: tf.variable(tf.tensor2d(values(ROWS * 3, 0.1), [ROWS, 3])),
    dense: tf.variable(tf.tensor2d(values(6, 0.7), [3, 2])),
    offset: tf.variable(tf.tensor1d(values(2, 1.3))),
    'head.0': tf.variable(tf.tensor1d(values(2, 2.1))),
    'head.1': tf.variable(tf.tensor1d(values(2, 2.9))),
    'head.2': tf.variable(tf.tensor1d(values(2, 3.7))),
  };
}

function toyLosses(inputs: Readonly<Record<string, tf.Tensor>>, batch: ToyBatch): tf.Tensor[] {
  const h = tf.tanh(tf.matMul(inputs.table as tf.Tensor2D, inputs.dense as tf.Tensor2D));
  const losses: tf.Tensor[] = [];
  for (let k = 0; k < TASKS; k++) {
    const features = k < 2 ? tf.add(h, inputs.offset) : h;
    const prediction = tf.sigmoid(tf.sum(tf.mul(features, inputs[`head.${k}`]), 1));
    losses.push(tf.mean(tf.square(tf.sub(prediction, tf.tensor1d(batch.labels[k])))));
  }
  return losses;
}

function toyModel(variables: Record<string, tf.Variable>): MultiTaskModel<ToyBatch> {
  return {
    tasks: TASKS,
    shared: { table: variables.table, dense: variables.dense, offset: variables.offset },
    taskSpecific: { 'head.0': variables['head.0'], 'head.1': variables['head.1'], 'head.2': variables['head.2'] },
    embeddingTables: ['table'],
    embeddingIds: (batch) => ({ table: batch.ids }),
    losses: toyLosses,
  };
}

/** Deterministic batch `n`; ids repeat within a batch on purpose. */
function toyBatch(n: number): ToyBatch {
  const ids = Int32Array.from([n % ROWS, (n + 2) % ROWS, n % ROWS, (3 * n + 1) % ROWS, n % ROWS]);
  const labels = Array.from({ length: TASKS }, (_, k) => Float32Array.from(ids, (_, i) => ((i + k + n) % 3 === 0 ? 1 : 0)));
  return { ids, labels };
}

const SHARED = ['table', 'dense', 'offset'];
const ALL = [...SHARED, 'head.0', 'head.1', 'head.2'];

/**
 * Per-task dense gradients of every variable, computed without the trainer: the table's rows
 * come from a one-hot matrix product, and a variable a task does not use gets zeros.
 */
async function referenceGradients(variables: Record<string, tf.Variable>, batch: ToyBatch): Promise<Record<string, Float32Array>[]> {
  const result: Record<string, Float32Array>[] = [];
  for (let k = 0; k < TASKS; k++) {
    const grads = tf.tidy(() => {
      const xs = ALL.map((name) => variables[name] as tf.Tensor);
      const ids = tf.tensor1d(batch.ids, 'int32');
      const oneHot = tf.cast(tf.oneHot(ids, ROWS), 'float32') as tf.Tensor2D;
      const { grads: g } = tf.engine().gradients(
        () => {
          const inputs: Record<string, tf.Tensor> = {};
          ALL.forEach((name, i) => (inputs[name] = xs[i]));
          inputs.table = tf.matMul(oneHot, xs[0] as tf.Tensor2D);
          return toyLosses(inputs, batch)[k] as tf.Scalar;
        },
        xs,
        undefined,
        true,
      );
      return g.map((x, i) => x ?? tf.zerosLike(xs[i]));
    });
    const byName: Record<string, Float32Array> = {};
    for (const [i, name] of ALL.entries()) byName[name] = (await grads[i].data()) as Float32Array;
    tf.dispose(grads);
    result.push(byName);
  }
  return result;
}

function norm(values: Float32Array): number {
  let total = 0;
  for (const v of values) total += v * v;
  return Math.sqrt(total);
}

function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `${label} element ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected[i])));
  }
}

async function snapshot(variables: Record<string, tf.Variable>): Promise<Record<string, Float32Array>> {
  const result: Record<string, Float32Array> = {};
  for (const name of ALL) result[name] = (await variables[name].data()) as Float32Array;
  return result;
}

function newTrainer(variables: Record<string, tf.Variable>, transform: GradientTransform = metaBalance(), reportGradients = false) {
  return createTrainer({ model: toyModel(variables), transform, adam: { learningRate: 0.05, weightDecay: 1e-4 }, reportGradients });
}

describe.each(['cpu', 'wasm'] as const)('createTrainer on %s', (backend) => {
  let directory: string;

  beforeAll(async () => {
    await useBackend(backend);
    directory = await mkdtemp(join(tmpdir(), 'mb-tfjs-trainer-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('embedding norms with duplicate ids equal dense norms', async () => {
    const variables = toyVariables();
    const trainer = newTrainer(variables);
    const batch = toyBatch(4);
    expect(new Set(batch.ids).size).toBeLessThan(batch.ids.length);

    const reference = await referenceGradients(variables, batch);
    const report = await trainer.step(batch);
    for (let k = 0; k < TASKS; k++) {
      SHARED.forEach((name, j) => {
        const expected = norm(reference[k][name]);
        expect(Math.abs(report.taskNorms[k][j] - expected), `task ${k} ${name}`).toBeLessThanOrEqual(1e-5 * Math.max(1, expected));
      });
    }
    trainer.dispose();
    tf.dispose(Object.values(variables));
  });

  it('equal weighting gives the summed dense gradient', async () => {
    const variables = toyVariables();
    const trainer = newTrainer(variables, equalWeighting(), true);
    const batch = toyBatch(1);
    const reference = await referenceGradients(variables, batch);
    const report = await trainer.step(batch);

    for (const name of ALL) {
      const summed = reference[0][name].map((_, i) => reference[0][name][i] + reference[1][name][i] + reference[2][name][i]);
      const actual = SHARED.includes(name) ? report.gradients!.combinedShared[name] : report.gradients!.taskSpecific[name];
      expectAllClose(actual.values, summed, name);
    }
    trainer.dispose();
    tf.dispose(Object.values(variables));
  });

  it('shared variable unused by a task gets no contribution', async () => {
    const variables = toyVariables();
    const trainer = newTrainer(variables, metaBalance(), true);
    const batch = toyBatch(2);
    const reference = await referenceGradients(variables, batch);
    const report = await trainer.step(batch);

    const offset = SHARED.indexOf('offset');
    expect(report.skipped).toBe(false);
    expect(report.taskNorms[2][offset]).toBe(0);
    expect(report.taskWeights[2][offset]).toBe(1);
    const expected = reference[0].offset.map((g0, i) => g0 + report.taskWeights[1][offset] * reference[1].offset[i]);
    expectAllClose(report.gradients!.combinedShared.offset.values, expected, 'offset');
    trainer.dispose();
    tf.dispose(Object.values(variables));
  });

  it('keeps the tensor count flat over 200 steps', async () => {
    const variables = toyVariables();
    const trainer = newTrainer(variables);
    await trainer.step(toyBatch(0));
    const afterFirst = tf.memory().numTensors;
    for (let n = 1; n < 200; n++) await trainer.step(toyBatch(n));
    expect(tf.memory().numTensors).toBe(afterFirst);
    trainer.dispose();
    tf.dispose(Object.values(variables));
  });

  it('dispose releases everything it created', async () => {
    const variables = toyVariables();
    const before = tf.memory().numTensors;
    const trainer = newTrainer(variables, metaBalance(), true);
    for (let n = 0; n < 3; n++) await trainer.step(toyBatch(n));
    await trainer.save(join(directory, 'dispose'));
    await trainer.load(join(directory, 'dispose'));
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(trainer.step(toyBatch(0))).rejects.toThrow(InvalidArgumentError);
    tf.dispose(Object.values(variables));
  });

  it('skips a step with a NaN label and changes nothing', async () => {
    const skippingVariables = toyVariables();
    const plainVariables = toyVariables();
    const skipping = newTrainer(skippingVariables);
    const plain = newTrainer(plainVariables);

    await skipping.step(toyBatch(0));
    await plain.step(toyBatch(0));
    const before = await snapshot(skippingVariables);
    const poisoned = toyBatch(1);
    poisoned.labels[1][2] = Number.NaN;
    const countBefore = tf.memory().numTensors;
    const report = await skipping.step(poisoned);
    expect(tf.memory().numTensors).toBe(countBefore);

    expect(report.skipped).toBe(true);
    expect(report.step).toBe(2);
    expect(Number.isNaN(report.losses[1])).toBe(true);
    expect(skipping.skippedSteps).toBe(1);
    expect(await snapshot(skippingVariables)).toEqual(before);

    // Identical later steps show that Adam moments, Adam's step count and the balancer state
    // were left as they were.
    for (let n = 2; n < 5; n++) {
      const a = await skipping.step(toyBatch(n));
      const b = await plain.step(toyBatch(n));
      expect(a.losses).toEqual(b.losses);
      expect(a.taskWeights).toEqual(b.taskWeights);
    }
    expect(await snapshot(skippingVariables)).toEqual(await snapshot(plainVariables));
    skipping.dispose();
    plain.dispose();
    tf.dispose([...Object.values(skippingVariables), ...Object.values(plainVariables)]);
  });

  it('resumes bit-identically from a checkpoint', async () => {
    const steps = 4;
    const firstVariables = toyVariables();
    const first = newTrainer(firstVariables);
    for (let n = 0; n < steps; n++) await first.step(toyBatch(n));
    await first.save(join(directory, 'resume'));
    first.dispose();
    tf.dispose(Object.values(firstVariables));

    const resumedVariables = toyVariables();
    const resumed = newTrainer(resumedVariables);
    await resumed.load(join(directory, 'resume'));
    expect(resumed.stepCount).toBe(steps);

    const directVariables = toyVariables();
    const direct = newTrainer(directVariables);
    for (let n = 0; n < steps; n++) await direct.step(toyBatch(n));

    for (let n = steps; n < 2 * steps; n++) {
      const a = await resumed.step(toyBatch(n));
      const b = await direct.step(toyBatch(n));
      expect(a).toEqual(b);
    }
    expect(await snapshot(resumedVariables)).toEqual(await snapshot(directVariables));
    resumed.dispose();
    direct.dispose();
    tf.dispose([...Object.values(resumedVariables), ...Object.values(directVariables)]);
  });

  it('load rejects a checkpoint of another transform', async () => {
    const variables = toyVariables();
    const saving = newTrainer(variables, metaBalance());
    await saving.save(join(directory, 'other'));
    saving.dispose();
    const loading = newTrainer(variables, metaBalance({ relaxFactor: 0.5 }));
    await expect(loading.load(join(directory, 'other'))).rejects.toThrow(InvalidArgumentError);
    loading.dispose();
    tf.dispose(Object.values(variables));
  });

  it('rejects ids outside the table without leaking', async () => {
    const variables = toyVariables();
    const trainer = newTrainer(variables);
    const before = tf.memory().numTensors;
    const batch = toyBatch(0);
    batch.ids[3] = ROWS;
    await expect(trainer.step(batch)).rejects.toThrow('ids for embedding table "table" must be in [0, 6), got 6 at position 3.');
    expect(tf.memory().numTensors).toBe(before);
    expect(trainer.stepCount).toBe(0);
    trainer.dispose();
    tf.dispose(Object.values(variables));
  });
});

describe('createTrainer arguments', () => {
  it('rejects invalid models', () => {
    const variables = toyVariables();
    const model = toyModel(variables);
    expect(() => createTrainer({ model: { ...model, tasks: 1 }, transform: metaBalance() })).toThrow(
      'Error in createTrainer: model.tasks must be an integer of at least 2, got 1.',
    );
    expect(() => createTrainer({ model: { ...model, embeddingTables: ['dense', 'missing'] }, transform: metaBalance() })).toThrow(
      'model.embeddingTables names "missing", which is not a model variable.',
    );
    expect(() => createTrainer({ model: { ...model, embeddingTables: ['offset'] }, transform: metaBalance() })).toThrow(
      'embedding table "offset" must be rank 2, got shape [2].',
    );
    expect(() => createTrainer({ model: { ...model, shared: {} }, transform: metaBalance() })).toThrow(InvalidArgumentError);
    expect(() => createTrainer({ model, transform: metaBalance(), adam: { learningRate: -1 } })).toThrow(InvalidArgumentError);
    tf.dispose(Object.values(variables));
  });

  it('rejects overlapping steps', async () => {
    const variables = toyVariables();
    const trainer = newTrainer(variables);
    const first = trainer.step(toyBatch(0));
    const second = trainer.step(toyBatch(1));
    expect(() => trainer.dispose()).toThrow(InvalidArgumentError);
    await expect(second).rejects.toThrow('is still running. Await it first.');
    expect((await first).step).toBe(1);
    expect(trainer.stepCount).toBe(1);
    trainer.dispose();
    tf.dispose(Object.values(variables));
  });

  it('rejects a loss function with the wrong task count', async () => {
    const variables = toyVariables();
    const trainer = createTrainer({
      model: { ...toyModel(variables), losses: (inputs, batch) => toyLosses(inputs, batch).slice(0, 2) },
      transform: metaBalance(),
    });
    await expect(trainer.step(toyBatch(0))).rejects.toThrow('model.losses must return 3 losses (one per task), got 2.');
    trainer.dispose();
    tf.dispose(Object.values(variables));
  });
});

describe('createTrainer with every core method', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each(TRANSFORM_METHODS.map((name) => [name]))('%s trains the toy model', async (name) => {
    const variables = toyVariables();
    const before = await snapshot(variables);
    const trainer = newTrainer(variables, createTransform(name));
    for (let n = 0; n < 3; n++) {
      const report = await trainer.step(toyBatch(n));
      expect(report.skipped, `step ${n}`).toBe(false);
      expect(report.losses.every(Number.isFinite), `step ${n} losses`).toBe(true);
      expect(report.taskWeights.flat().every(Number.isFinite), `step ${n} weights`).toBe(true);
    }
    const after = await snapshot(variables);
    for (const variable of ALL) expect(after[variable], variable).not.toEqual(before[variable]);
    trainer.dispose();
    tf.dispose(Object.values(variables));
  });
});
