import { join } from 'node:path';

import { metaBalance } from '@mb/core';
import type { HostTensor } from '@mb/core';
import { findSharedDir, readGoldenFile } from '@mb/core/testing';
import type { GoldenTrainingCase } from '@mb/core/testing';
import type { NeuMFConfig } from '@mb/recsys';
import { describe, expect, it } from 'vitest';

import { batchFeeds, neumfModel } from './neumf.js';
import { createTrainer } from './trainer.js';

/**
 * Relative tolerance. Below FLOOR in magnitude the error is scaled by FLOOR instead, so values
 * near zero (such as embedding rows outside the batch) must match within 1e-9 absolute.
 */
const TOLERANCE = 1e-4;
const FLOOR = 1e-5;

function maxScaledError(actual: ArrayLike<number>, expected: readonly number[]): number {
  if (actual.length !== expected.length || expected.length === 0) return Infinity;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), FLOOR));
  }
  return worst;
}

const shared = findSharedDir();
if (!shared) console.warn('neumf golden test skipped: the shared data folder with the golden reference file was not found.');

describe('NeuMF training step against the golden reference', () => {
  it.skipIf(!shared)('neumf_three_steps matches PyTorch', async () => {
    const file = readGoldenFile(join(shared!, 'golden', 'metabalance.json'));
    const golden = file.cases.find((c) => (c as { name?: string }).name === 'neumf_three_steps') as unknown as GoldenTrainingCase;
    expect(golden).toBeDefined();

    const initialParameters: Record<string, HostTensor> = {};
    for (const [name, p] of Object.entries(golden.initialParameters)) initialParameters[name] = { shape: p.shape, values: Float32Array.from(p.values) };
    const trainer = createTrainer({
      model: neumfModel(golden.model),
      initialParameters,
      transform: metaBalance({ relaxFactor: golden.relaxFactor, beta: golden.beta }),
      adam: golden.adam,
      outputGradients: true,
      intraOpThreads: 1,
    });
    try {
      for (const [n, step] of golden.steps.entries()) {
        const batch = {
          users: Int32Array.from(step.users),
          items: Int32Array.from(step.items),
          labels: step.labels.map((l) => Float32Array.from(l)),
        };
        const result = await trainer.step(batchFeeds(golden.model, batch), step.users.length);
        expect(result.skipped).toBe(false);
        expect(maxScaledError(result.losses, step.losses), `step ${n} losses`).toBeLessThanOrEqual(TOLERANCE);
        for (const [name, g] of Object.entries({ ...step.combinedSharedGradients, ...step.headGradients })) {
          expect(maxScaledError(result.gradients![name].values, g), `step ${n} gradient ${name}`).toBeLessThanOrEqual(TOLERANCE);
        }
        expect(Object.keys(step.parametersAfter).length).toBe(16);
        const parameters = trainer.parameters();
        for (const [name, p] of Object.entries(step.parametersAfter)) {
          expect(maxScaledError(parameters[name].values, p), `step ${n} parameter ${name}`).toBeLessThanOrEqual(TOLERANCE);
        }
      }
    } finally {
      await trainer.release();
    }
  });
});
