import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, formatShape } from '@mb/core';

/**
 * Computes `x @ W^T + b` on gradients and values with untransposed matrix products only.
 * tfjs's own gradient of `matMul(x, W, false, true)` uses transposed products, which
 * tfjs-backend-wasm 4.22 runs through a slow fallback (about 10 times slower than the plain
 * product in this package's measurements), so this layer transposes explicitly instead.
 */
const linearWithGradient = tf.customGrad(((x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, weight]);
  return {
    value: tf.add(tf.matMul(x, tf.transpose(weight)), bias),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [input, w] = saved as tf.Tensor2D[];
      return [tf.matMul(dy, w), tf.matMul(tf.transpose(dy), input), tf.sum(dy, 0)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

const matMulTransposedWithGradient = tf.customGrad(((x: tf.Tensor2D, weight: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, weight]);
  return {
    value: tf.matMul(x, tf.transpose(weight)),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [input, w] = saved as tf.Tensor2D[];
      return [tf.matMul(dy, w), tf.matMul(tf.transpose(dy), input)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D, weight: tf.Tensor2D) => tf.Tensor2D;

/**
 * Computes `x @ weight^T` [batch, out] from `x` [batch, in] and `weight` [out, in], with the
 * same untransposed gradient products as `linear`.
 */
export function matMulTransposed(x: tf.Tensor, weight: tf.Tensor): tf.Tensor2D {
  if (x.rank !== 2 || weight.rank !== 2 || x.shape[1] !== weight.shape[1]) {
    throw new InvalidArgumentError(
      'matMulTransposed',
      `expected x [batch, in] and weight [out, in], got ${formatShape(x.shape)} and ${formatShape(weight.shape)}.`,
    );
  }
  return matMulTransposedWithGradient(x as tf.Tensor2D, weight as tf.Tensor2D);
}

/**
 * Computes a PyTorch-style linear layer, `x @ weight^T + bias` [batch, out], from `x`
 * [batch, in], `weight` [out, in] and `bias` [out]. It is differentiable in all three inputs.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  if (x.rank !== 2 || weight.rank !== 2 || bias.rank !== 1 || x.shape[1] !== weight.shape[1] || bias.shape[0] !== weight.shape[0]) {
    throw new InvalidArgumentError(
      'linear',
      `expected x [batch, in], weight [out, in] and bias [out], got ${formatShape(x.shape)}, ${formatShape(weight.shape)} and ${formatShape(bias.shape)}.`,
    );
  }
  return linearWithGradient(x as tf.Tensor2D, weight as tf.Tensor2D, bias as tf.Tensor1D);
}
