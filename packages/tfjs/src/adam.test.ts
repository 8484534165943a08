import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@mb/core';
import { beforeAll, describe, expect, it } from 'vitest';

import { applyAdam, createAdamMoments, resolveAdamOptions } from './adam.js';
import { useBackend } from './backend.js';

/** PyTorch's Adam update written out in float64, one element at a time. */
function referenceAdam(
  parameter: number[],
  gradients: number[][],
  options: { learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number },
): number[] {
  const p = [...parameter];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  gradients.forEach((gradient, n) => {
    const t = n + 1;
    for (let i = 0; i < p.length; i++) {
      const g = gradient[i] + options.weightDecay * p[i];
      m[i] = options.beta1 * m[i] + (1 - options.beta1) * g;
      v[i] = options.beta2 * v[i] + (1 - options.beta2) * g * g;
      const mHat = m[i] / (1 - options.beta1 ** t);
      const vHat = v[i] / (1 - options.beta2 ** t);
      p[i] -= (options.learningRate * mHat) / (Math.sqrt(vHat) + options.epsilon);
    }
  });
  return p;
}

describe.each(['cpu', 'wasm'] as const)('applyAdam on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('matches the PyTorch update with L2 weight decay', async () => {
    const options = resolveAdamOptions({ learningRate: 0.01, weightDecay: 0.1 });
    const initial = [0.5, -1.25, 2, 0];
    const gradients = [
      [0.1, -0.2, 0.3, 0],
      [-0.05, 0.4, 0.1, 1e-3],
      [0.2, 0.2, -0.6, -2],
    ];
    const parameter = tf.variable(tf.tensor1d(initial));
    let moments = createAdamMoments(parameter);
    for (const [n, gradient] of gradients.entries()) {
      const g = tf.tensor1d(gradient);
      const next = tf.tidy(() => applyAdam(parameter, g, moments, n + 1, options));
      tf.dispose([g, moments.m, moments.v]);
      moments = next;
    }

    const expected = referenceAdam(initial, gradients, options);
    const actual = Array.from(await parameter.data());
    actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected[i]))));
    tf.dispose([parameter, moments.m, moments.v]);
  });
});

describe('resolveAdamOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveAdamOptions()).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  });

  it('rejects invalid values', () => {
    expect(() => resolveAdamOptions({ learningRate: 0 })).toThrow(InvalidArgumentError);
    expect(() => resolveAdamOptions({ beta1: 1 })).toThrow('adam.beta1 must be in [0, 1), got 1.');
    expect(() => resolveAdamOptions({ epsilon: -1 })).toThrow(InvalidArgumentError);
    expect(() => resolveAdamOptions({ weightDecay: Number.NaN })).toThrow(InvalidArgumentError);
  });
});
