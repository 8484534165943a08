import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@mb/core';
import { eagerConformanceBackend, runConformanceCase, tensorOpsConformanceCases } from '@mb/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { useBackend } from './backend.js';
import { fromHostTensor, tfjsOps, toHostTensor } from './tfjs_ops.js';

describe.each(['cpu', 'wasm'] as const)('tfjsOps on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  const conformance = eagerConformanceBackend(tfjsOps, fromHostTensor, toHostTensor);
  it.each(tensorOpsConformanceCases.map((c) => [c.name, c] as const))('conformance: %s', async (_, testCase) => {
    expect(tfjsOps.backendName).toBe(`tfjs-${backend}`);
    await runConformanceCase(conformance, testCase);
  });

  it('masks are float32', () => {
    tf.tidy(() => {
      const a = tf.tensor1d([1, 2]);
      const b = tf.tensor1d([2, 1]);
      expect(tfjsOps.greater(a, b).dtype).toBe('float32');
      expect(tfjsOps.equal(a, b).dtype).toBe('float32');
      expect(tfjsOps.allFinite(a).dtype).toBe('float32');
    });
  });

  it('rejects shapes the contract does not broadcast', () => {
    tf.tidy(() => {
      const row = tf.zeros([1, 3]);
      const matrix = tf.zeros([2, 3]);
      expect(() => tfjsOps.add(row, matrix)).toThrow(InvalidArgumentError);
      expect(() => tfjsOps.add(row, matrix)).toThrow('Error in add: operands must have the same shape or be rank 0, got [1,3] and [2,3].');
      expect(() => tfjsOps.where(tf.scalar(1), row, matrix)).toThrow(InvalidArgumentError);
      expect(() => tfjsOps.scale(matrix, tf.ones([1]))).toThrow('Error in scale: factor must be rank 0, got shape [1].');
      expect(() => tfjsOps.dot(tf.scalar(1), matrix)).toThrow(InvalidArgumentError);
    });
  });

  it('operations leave no intermediate tensors', () => {
    const a = tf.tensor1d([1, NaN, 3]);
    const b = tf.tensor1d([0, 1, 1]);
    const before = tf.memory().numTensors;
    const results = [
      tfjsOps.greater(a, b),
      tfjsOps.equal(a, b),
      tfjsOps.where(b, a, b),
      tfjsOps.dot(a, b),
      tfjsOps.allFinite(a),
    ];
    expect(tf.memory().numTensors).toBe(before + results.length);
    tf.dispose([a, b, ...results]);
  });
});
