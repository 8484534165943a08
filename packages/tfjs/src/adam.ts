import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, checkRange } from '@mb/core';
import { DEFAULT_ADAM } from '@mb/recsys';
import type { AdamOptions } from '@mb/recsys';

/** Checks Adam options and fills in `DEFAULT_ADAM` for the missing ones. */
export function resolveAdamOptions(options: AdamOptions = {}): Required<AdamOptions> {
  const operation = 'resolveAdamOptions';
  const resolved = { ...DEFAULT_ADAM, ...options };
  if (!(Number.isFinite(resolved.learningRate) && resolved.learningRate > 0)) {
    throw new InvalidArgumentError(operation, `adam.learningRate must be a positive number, got ${resolved.learningRate}.`);
  }
  checkRange(operation, 'adam.beta1', resolved.beta1, 0, 1, false);
  checkRange(operation, 'adam.beta2', resolved.beta2, 0, 1, false);
  if (!(Number.isFinite(resolved.epsilon) && resolved.epsilon > 0)) {
    throw new InvalidArgumentError(operation, `adam.epsilon must be a positive number, got ${resolved.epsilon}.`);
  }
  if (!(Number.isFinite(resolved.weightDecay) && resolved.weightDecay >= 0)) {
    throw new InvalidArgumentError(operation, `adam.weightDecay must be a non-negative number, got ${resolved.weightDecay}.`);
  }
  return resolved;
}

/** First and second moment estimates of one parameter. */
export type AdamMoments = {
  readonly m: tf.Tensor;
  readonly v: tf.Tensor;
};

/** Creates zero moments for a parameter. */
export function createAdamMoments(parameter: tf.Tensor): AdamMoments {
  return { m: tf.zerosLike(parameter), v: tf.zerosLike(parameter) };
}

/**
 * Applies one Adam update to `parameter` in place, the way PyTorch's `torch.optim.Adam`
 * (2.x, `amsgrad=False`) does: the L2 term `weightDecay * parameter` is added to the gradient,
 * the moments are updated, and
 * `parameter -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)`.
 * `step` is the 1-based number of this update. Returns the new moments, and the caller disposes
 * the old ones. Call inside `tf.tidy`.
 */
export function applyAdam(
  parameter: tf.Variable,
  gradient: tf.Tensor,
  moments: AdamMoments,
  step: number,
  options: Required<AdamOptions>,
): AdamMoments {
  const { learningRate, beta1, beta2, epsilon, weightDecay } = options;
  const g = weightDecay > 0 ? tf.add(gradient, tf.mul(parameter, weightDecay)) : gradient;
  const m = tf.add(tf.mul(moments.m, beta1), tf.mul(g, 1 - beta1));
  const v = tf.add(tf.mul(moments.v, beta2), tf.mul(tf.square(g), 1 - beta2));

  // Bias corrections are computed in float64 and enter the graph as float32 scalars.
  const stepSize = learningRate / (1 - beta1 ** step);
  const correction2Sqrt = Math.sqrt(1 - beta2 ** step);
  const denominator = tf.add(tf.div(tf.sqrt(v), correction2Sqrt), epsilon);
  parameter.assign(tf.sub(parameter, tf.mul(tf.div(m, denominator), stepSize)));
  return { m, v };
}
