import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@mb/core';
import { beforeAll, describe, expect, it } from 'vitest';

import { useBackend } from './backend.js';
import { checkEmbeddingIds, gatherRows, scatterRowGradients } from './embedding.js';

describe.each(['cpu', 'wasm'] as const)('embedding rows on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('scatter sums duplicate ids', async () => {
    const ids = tf.tensor1d([1, 3, 1, 1], 'int32');
    const rows = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const dense = scatterRowGradients(ids, rows, [4, 2]);
    expect(dense.shape).toEqual([4, 2]);
    expect(Array.from(await dense.data())).toEqual([0, 0, 13, 16, 0, 0, 3, 4]);
    tf.dispose([ids, rows, dense]);
  });

  it('gradient through gathered rows equals the dense gradient', async () => {
    // The dense reference reads rows with a one-hot matrix product, which tfjs differentiates
    // without gather, so the two paths share no gradient code. The one-hot matrix is built as
    // int32 and cast, because tfjs-backend-wasm 4.22 returns zeros for a float32 oneHot.
    const table = tf.tensor2d([0.5, -1, 2, 0.25, -0.75, 1.5, 3, -2, 0.1, 0.2], [5, 2]);
    const idValues = [4, 0, 4, 2, 4, 0];
    const ids = tf.tensor1d(idValues, 'int32');
    const weights = tf.tensor2d([0.3, -0.2, 0.9, 0.4, -1.1, 0.6, 0.7, 0.05, -0.3, 1.2, 0.8, -0.9], [6, 2]);
    const loss = (rows: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.mul(tf.tanh(rows), weights)));

    const dense = tf.tidy(() => tf.grad((t: tf.Tensor) => loss(tf.matMul(tf.cast(tf.oneHot(ids, 5), 'float32'), t as tf.Tensor2D)))(table));
    const scattered = tf.tidy(() => scatterRowGradients(ids, tf.grad(loss)(gatherRows(table, ids)), table.shape));

    const expected = Array.from(await dense.data());
    const actual = Array.from(await scattered.data());
    actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
    expect(expected[1 * 2]).toBe(0);
    const normDense = (await tf.norm(dense).data())[0];
    const normScattered = (await tf.norm(scattered).data())[0];
    expect(normScattered).toBeCloseTo(normDense, 5);
    tf.dispose([table, ids, weights, dense, scattered]);
  });
});

describe('checkEmbeddingIds', () => {
  it('rejects ids outside the table', () => {
    expect(() => checkEmbeddingIds('op', 'users', Int32Array.from([0, 5]), 5)).toThrow(InvalidArgumentError);
    expect(() => checkEmbeddingIds('op', 'users', Int32Array.from([0, 5]), 5)).toThrow(
      'Error in op: ids for embedding table "users" must be in [0, 5), got 5 at position 1.',
    );
    expect(() => checkEmbeddingIds('op', 'users', Int32Array.from([-1]), 5)).toThrow(InvalidArgumentError);
    expect(() => checkEmbeddingIds('op', 'users', [0, 1] as unknown as Int32Array, 5)).toThrow(InvalidArgumentError);
  });

  it('accepts ids inside the table', () => {
    expect(() => checkEmbeddingIds('op', 'users', Int32Array.from([0, 4, 4]), 5)).not.toThrow();
  });
});
