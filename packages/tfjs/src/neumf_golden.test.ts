import { join } from 'node:path';

import { metaBalance } from '@mb/core';
import type { HostTensor } from '@mb/core';
import { findSharedDir, readGoldenFile } from '@mb/core/testing';
import type { GoldenTrainingCase } from '@mb/core/testing';
import type { AdamOptions, NeuMFConfig } from '@mb/recsys';
import { describe, expect, it } from 'vitest';

import { createNeuMFTrainer } from './neumf_trainer.js';

// Relative tolerance against the float64 reference, and the magnitude below which it becomes
// absolute (1e-4 * 1e-3 = 1e-7), so that exact zeros such as rows outside the batch still match.
const RELATIVE_TOLERANCE = 1e-4;
const MAGNITUDE_FLOOR = 1e-3;

/** Returns a description of the worst element outside the tolerance, or null when all match. */
function worstMismatch(actual: ArrayLike<number>, expected: readonly number[]): string | null {
  if (actual.length !== expected.length) return `${actual.length} values, expected ${expected.length}`;
  let worst: string | null = null;
  let worstRatio = 1;
  for (let i = 0; i < expected.length; i++) {
    const allowed = RELATIVE_TOLERANCE * Math.max(Math.abs(expected[i]), MAGNITUDE_FLOOR);
    const ratio = Math.abs(actual[i] - expected[i]) / allowed;
    if (!(ratio <= worstRatio)) {
      worstRatio = ratio;
      worst = `element ${i} is ${actual[i]}, expected ${expected[i]}`;
    }
  }
  return worst;
}

const shared = findSharedDir();
if (shared === null) console.warn('neumf_golden.test: the shared data folder was not found, so the golden NeuMF test is skipped.');

function loadCase(): GoldenTrainingCase {
  const file = readGoldenFile(join(shared!, 'golden', 'metabalance.json'));
  const found = file.cases.find((c) => (c as { name?: string }).name === 'neumf_three_steps');
  if (found === undefined) throw new Error('the golden reference file has no neumf_three_steps case');
  return found as unknown as GoldenTrainingCase;
}

describe.each(['cpu', 'wasm'] as const)('golden NeuMF on %s', (backend) => {
  it.skipIf(shared === null)('matches three PyTorch steps', async () => {
    const golden = loadCase();
    const initialParameters: Record<string, HostTensor> = {};
    for (const [name, p] of Object.entries(golden.initialParameters)) {
      initialParameters[name] = { shape: p.shape, values: Float32Array.from(p.values) };
    }
    const { learningRate, beta1, beta2, epsilon, weightDecay } = golden.adam;
    const { users, items, gmfDim, mlpDim, hidden, tasks } = golden.model;

    const trainer = await createNeuMFTrainer({
      backend,
      model: { users, items, gmfDim, mlpDim, hidden, tasks },
      initialParameters,
      transform: metaBalance({ relaxFactor: golden.relaxFactor, beta: golden.beta }),
      adam: { learningRate, beta1, beta2, epsilon, weightDecay },
      reportGradients: true,
    });
    try {
      expect(trainer.backendName).toBe(`tfjs-${backend}`);
      for (const [n, step] of golden.steps.entries()) {
        const report = await trainer.step({
          users: Int32Array.from(step.users),
          items: Int32Array.from(step.items),
          labels: step.labels.map((l) => Float32Array.from(l)),
        });
        expect(report.skipped, `step ${n} skipped`).toBe(false);
        expect(worstMismatch(report.losses, step.losses), `step ${n} losses`).toBeNull();
        for (const [name, expected] of Object.entries(step.combinedSharedGradients)) {
          expect(worstMismatch(report.gradients!.combinedShared[name].values, expected), `step ${n} combined ${name}`).toBeNull();
        }
        for (const [name, expected] of Object.entries(step.headGradients)) {
          expect(worstMismatch(report.gradients!.taskSpecific[name].values, expected), `step ${n} gradient ${name}`).toBeNull();
        }
        const parameters = await trainer.parameters();
        for (const [name, expected] of Object.entries(step.parametersAfter)) {
          expect(worstMismatch(parameters[name].values, expected), `step ${n} parameter ${name}`).toBeNull();
        }
      }
    } finally {
      await trainer.dispose();
    }
  });
});
