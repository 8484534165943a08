import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@mb/core';
import { beforeAll, describe, expect, it } from 'vitest';

import { useBackend } from './backend.js';
import { linear, matMulTransposed } from './linear.js';

describe.each(['cpu', 'wasm'] as const)('linear on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('value and gradients match matMul with autodiff', async () => {
    const x = tf.tensor2d([0.5, -1, 2, 0.3, 0.7, -0.2], [2, 3]);
    const w = tf.tensor2d([0.1, 0.2, -0.3, 0.4, -0.5, 0.6, 0.9, 0.05, -0.7, 1.1, 0.35, -0.45], [4, 3]);
    const b = tf.tensor1d([0.01, -0.02, 0.03, 0.5]);
    const upstream = tf.tensor2d([1, -2, 0.5, 3, -1, 0.25, 2, -0.5], [2, 4]);
    const loss = (f: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) =>
      tf.sum(tf.mul(tf.tanh(f(xs, ws, bs)), upstream));
    const reference = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.add(tf.matMul(xs as tf.Tensor2D, ws as tf.Tensor2D, false, true), bs);

    const expectedValue = await reference(x, w, b).data();
    const actualValue = await linear(x, w, b).data();
    actualValue.forEach((v, i) => expect(v).toBeCloseTo(expectedValue[i], 6));

    const expected = tf.grads(loss(reference))([x, w, b]);
    const actual = tf.grads(loss(linear))([x, w, b]);
    for (let n = 0; n < 3; n++) {
      expect(actual[n].shape).toEqual(expected[n].shape);
      const e = await expected[n].data();
      (await actual[n].data()).forEach((v, i) => expect(v, `gradient ${n} element ${i}`).toBeCloseTo(e[i], 6));
    }
  });

  it('matMulTransposed gradients match autodiff', async () => {
    const x = tf.tensor2d([0.5, -1, 2, 0.3, 0.7, -0.2], [2, 3]);
    const w = tf.tensor2d([0.1, 0.2, -0.3, 0.4, -0.5, 0.6], [2, 3]);
    const upstream = tf.tensor2d([1, -2, 0.5, 3], [2, 2]);
    const loss = (f: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor) => (xs: tf.Tensor, ws: tf.Tensor) => tf.sum(tf.mul(tf.sin(f(xs, ws)), upstream));
    const reference = (xs: tf.Tensor, ws: tf.Tensor) => tf.matMul(xs as tf.Tensor2D, ws as tf.Tensor2D, false, true);

    const expected = tf.grads(loss(reference))([x, w]);
    const actual = tf.grads(loss(matMulTransposed))([x, w]);
    for (let n = 0; n < 2; n++) {
      const e = await expected[n].data();
      (await actual[n].data()).forEach((v, i) => expect(v, `gradient ${n} element ${i}`).toBeCloseTo(e[i], 6));
    }
    expect(() => matMulTransposed(x, tf.zeros([2, 2]))).toThrow(InvalidArgumentError);
  });

  it('rejects mismatched shapes', () => {
    expect(() => linear(tf.zeros([2, 3]), tf.zeros([4, 2]), tf.zeros([4]))).toThrow(InvalidArgumentError);
    expect(() => linear(tf.zeros([2, 3]), tf.zeros([4, 3]), tf.zeros([3]))).toThrow(InvalidArgumentError);
  });
});
