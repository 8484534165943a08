import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TRANSFORM_METHODS, createTransform, equalWeighting, metaBalance } from '@mb/core';
import type { HostTensor } from '@mb/core';
import { initNeuMFParameters } from '@mb/recsys';
import type { NeuMFConfig, TrainingBatch } from '@mb/recsys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { batchFeeds, createNeuMFTrainer, neumfModel } from './neumf.js';
import type { OnnxNeuMFTrainer } from './neumf.js';
import { cudaProviderLibrary } from './session.js';
import { createTrainer } from './trainer.js';

const CONFIG: NeuMFConfig = { users: 6, items: 9, gmfDim: 4, mlpDim: 4, hidden: [6, 4], tasks: 4 };
const ADAM = { learningRate: 1e-2, weightDecay: 1e-4 };

function batch(seed: number, size = 8): TrainingBatch {
  const pick = (n: number, limit: number) => ((seed * 31 + n * 17 + (n * n) % 7) % limit + limit) % limit;
  return {
    users: Int32Array.from({ length: size }, (_, n) => pick(n, CONFIG.users)),
    items: Int32Array.from({ length: size }, (_, n) => pick(n + 3, CONFIG.items)),
    labels: Array.from({ length: CONFIG.tasks }, (_, k) => Float32Array.from({ length: size }, (_, n) => ((n + k + seed) % 3 === 0 ? 1 : 0))),
  };
}

function trainer(overrides: Partial<Parameters<typeof createNeuMFTrainer>[0]> = {}): OnnxNeuMFTrainer {
  return createNeuMFTrainer({
    model: CONFIG,
    initialParameters: initNeuMFParameters(CONFIG, 3),
    transform: metaBalance(),
    adam: ADAM,
    intraOpThreads: 1,
    ...overrides,
  });
}

function valuesOf(parameters: Record<string, HostTensor>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(parameters).map(([name, p]) => [name, Array.from(p.values)]));
}

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'onnx-training-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('NeuMF trainer checkpoints', () => {
  it('resumes exactly: 2 + 2 steps equal 4 steps', async () => {
    const straight = trainer();
    for (let n = 0; n < 4; n++) await straight.step(batch(n));

    const first = trainer();
    for (let n = 0; n < 2; n++) await first.step(batch(n));
    await first.saveCheckpoint(join(directory, 'resume'));
    await first.dispose();

    const resumed = trainer();
    await resumed.restoreCheckpoint(join(directory, 'resume'));
    let last;
    for (let n = 2; n < 4; n++) last = await resumed.step(batch(n));

    expect(last!.step).toBe(4);
    expect(valuesOf(await resumed.parameters())).toEqual(valuesOf(await straight.parameters()));
    const a = resumed.trainer.snapshot();
    const b = straight.trainer.snapshot();
    for (const name of Object.keys(b.tensors)) expect(Array.from(a.tensors[name].values), name).toEqual(Array.from(b.tensors[name].values));
    await straight.dispose();
    await resumed.dispose();
  });

  it('rejects a checkpoint of another transform', async () => {
    const source = trainer();
    await source.step(batch(0));
    await source.saveCheckpoint(join(directory, 'other'));
    await source.dispose();
    const target = trainer({ transform: metaBalance({ relaxFactor: 0.5 }) });
    await expect(target.restoreCheckpoint(join(directory, 'other'))).rejects.toThrow(/transform state was built for "metabalance\(beta=0.9,relaxFactor=0.7/);
    await target.dispose();
  });
});

describe('NeuMF trainer skips non-finite steps', () => {
  it('leaves every state tensor unchanged and counts the skip', async () => {
    const subject = trainer();
    await subject.step(batch(0));
    const before = subject.trainer.snapshot();

    const poisoned = batch(1);
    poisoned.labels[2][3] = Number.NaN;
    const report = await subject.step(poisoned);
    expect(report.skipped).toBe(true);
    expect(report.step).toBe(2);
    expect(subject.trainer.skippedSteps).toBe(1);
    const after = subject.trainer.snapshot();
    for (const name of Object.keys(before.tensors)) {
      expect(Array.from(after.tensors[name].values), name).toEqual(Array.from(before.tensors[name].values));
    }

    // The skipped step does not advance Adam's step count, as when PyTorch skips optimizer.step().
    await subject.step(batch(2));
    const reference = trainer();
    await reference.step(batch(0));
    await reference.step(batch(2));
    expect(valuesOf(await subject.parameters())).toEqual(valuesOf(await reference.parameters()));
    await subject.dispose();
    await reference.dispose();
  });
});

describe('NeuMF trainer gradients', () => {
  it('adds the gradients of duplicate ids', async () => {
    // Two identical examples have the same mean loss as one, so the gradient of the shared row
    // must be equal. A scatter that overwrote instead of adding would give half of it.
    const single: TrainingBatch = { users: Int32Array.from([4]), items: Int32Array.from([7]), labels: [1, 0, 1, 1].map((y) => Float32Array.from([y])) };
    const double: TrainingBatch = { users: Int32Array.from([4, 4]), items: Int32Array.from([7, 7]), labels: [1, 0, 1, 1].map((y) => Float32Array.from([y, y])) };
    const gradients = [];
    for (const [b, size] of [[single, 1], [double, 2]] as const) {
      const t = createTrainer({
        model: neumfModel(CONFIG),
        initialParameters: initNeuMFParameters(CONFIG, 3),
        transform: metaBalance(),
        outputGradients: true,
        intraOpThreads: 1,
      });
      gradients.push((await t.step(batchFeeds(CONFIG, b), size)).gradients!);
      await t.release();
    }
    for (const name of ['user_gmf.weight', 'item_mlp.weight', 'mlp.0.weight', 'heads.1.weight']) {
      const a = gradients[0][name].values;
      const b = gradients[1][name].values;
      expect(a.some((v) => v !== 0), name).toBe(true);
      for (let i = 0; i < a.length; i++) expect(b[i], `${name}[${i}]`).toBeCloseTo(a[i], 6);
    }
  });

  it('accepts batches of different sizes', async () => {
    const subject = trainer({ transform: equalWeighting() });
    const first = await subject.step(batch(0, 8));
    const second = await subject.step(batch(1, 5));
    expect(first.losses.every(Number.isFinite)).toBe(true);
    expect(second.losses.every(Number.isFinite)).toBe(true);
    expect(second.taskWeights).toEqual(Array.from({ length: 4 }, () => Array(8).fill(1)));
    await subject.dispose();
  });

  it('rejects out-of-range ids', async () => {
    const subject = trainer();
    const bad = batch(0);
    bad.items[1] = CONFIG.items;
    await expect(subject.step(bad)).rejects.toThrow(/batch.items\[1\] is 9, outside \[0, 9\)/);
    await subject.dispose();
  });
});

describe('NeuMF trainer scoring', () => {
  it('scores every item like a host forward pass', async () => {
    const subject = trainer({ scoreRowsPerRun: 20 });
    await subject.step(batch(0));
    const p = await subject.parameters();
    const users = Int32Array.from([5, 0, 3, 3, 1]);
    const scores = await subject.scoreAllItems(users);
    expect(scores.length).toBe(users.length * CONFIG.items);

    const row = (name: string, r: number, width: number) => Array.from(p[name].values.subarray(r * width, (r + 1) * width));
    const linear = (x: number[], name: string, out: number) =>
      Array.from({ length: out }, (_, o) => x.reduce((sum, v, i) => sum + v * p[`${name}.weight`].values[o * x.length + i], p[`${name}.bias`].values[o]));
    users.forEach((u, n) => {
      for (let item = 0; item < CONFIG.items; item++) {
        const gmf = row('user_gmf.weight', u, 4).map((v, i) => v * row('item_gmf.weight', item, 4)[i]);
        let x = [...row('user_mlp.weight', u, 4), ...row('item_mlp.weight', item, 4)];
        CONFIG.hidden.forEach((width, i) => (x = linear(x, `mlp.${i}`, width).map((v) => Math.max(v, 0))));
        const expected = linear([...gmf, ...x], 'heads.0', 1)[0];
        expect(scores[n * CONFIG.items + item]).toBeCloseTo(expected, 5);
      }
    });
    await subject.dispose();
  });
});

describe('NeuMF trainer execution providers', () => {
  it('rejects an unknown provider name', () => {
    expect(() => trainer({ executionProvider: 'tpu' as never })).toThrow(/executionProvider must be one of cpu, cuda, got "tpu"/);
  });

  const cudaInstalled = existsSync(cudaProviderLibrary() ?? '');
  if (cudaInstalled) console.warn('cuda error test skipped: the CUDA provider library is installed.');
  it.skipIf(cudaInstalled)('names the missing cuda provider', () => {
    expect(() => trainer({ executionProvider: 'cuda' })).toThrow(/execution provider cuda is not available: .*libonnxruntime_providers_cuda.so is missing/);
  });

  it('rejects use after dispose', async () => {
    const subject = trainer();
    await subject.dispose();
    await expect(subject.step(batch(0))).rejects.toThrow(/disposed/);
  });
});

describe('NeuMF trainer with every core method', () => {
  for (const method of TRANSFORM_METHODS) {
    it(`${method} trains two steps`, async () => {
      const subject = trainer({ transform: createTransform(method, {}) });
      const before = await subject.parameters();
      for (let n = 0; n < 2; n++) {
        const report = await subject.step(batch(n));
        expect(report.skipped, `step ${n} skipped`).toBe(false);
        expect(report.losses.every(Number.isFinite), `step ${n} losses`).toBe(true);
      }
      const after = await subject.parameters();
      expect(Array.from(after['mlp.0.weight'].values)).not.toEqual(Array.from(before['mlp.0.weight'].values));
      await subject.dispose();
    });
  }
});
