import type { TensorOps } from '../tensor_ops.js';

/**
 * Extent of a method's dot products and norms: `all` treats the shared tensors as one
 * concatenated vector (one dot product per task pair), and `tensor` measures each shared tensor
 * separately.
 */
export type GradientScope = 'all' | 'tensor';

export const GRADIENT_SCOPES: readonly GradientScope[] = ['all', 'tensor'];

/** Sum of a non-empty list of tensors of equal shape. */
export function sumAll<T>(ops: TensorOps<T>, xs: readonly T[]): T {
  let total = xs[0];
  for (let i = 1; i < xs.length; i++) total = ops.add(total, xs[i]);
  return total;
}

/** Elementwise maximum of a non-empty list of tensors of equal shape. */
export function maxAll<T>(ops: TensorOps<T>, xs: readonly T[]): T {
  let result = xs[0];
  for (let i = 1; i < xs.length; i++) result = ops.maximum(result, xs[i]);
  return result;
}

/** Divides where the denominator is positive and returns `fallback` elsewhere, so 0/0 gives no NaN. */
export function divideWherePositive<T>(ops: TensorOps<T>, numerator: T, denominator: T, fallback: T): T {
  const zero = ops.scalar(0);
  const positive = ops.greater(denominator, zero);
  const safeDenominator = ops.where(positive, denominator, ops.scalar(1));
  return ops.where(positive, ops.div(numerator, safeDenominator), fallback);
}

/** Elementwise sign: 1, -1 or 0. */
export function sign<T>(ops: TensorOps<T>, x: T): T {
  const zero = ops.scalar(0);
  return ops.sub(ops.greater(x, zero), ops.greater(zero, x));
}

/**
 * Dot products of two lists of per-tensor gradients, one rank-0 result per shared tensor. With
 * scope `all` every entry is the dot product of the concatenated vectors.
 */
export function scopedDots<T>(ops: TensorOps<T>, a: readonly T[], b: readonly T[], scope: GradientScope): T[] {
  const perTensor = a.map((x, j) => ops.dot(x, b[j]));
  if (scope === 'tensor') return perTensor;
  const total = sumAll(ops, perTensor);
  return perTensor.map(() => total);
}

/**
 * One-hot mask of the first minimum of a list of rank-0 tensors, built from comparisons so that
 * it traces into a graph: entry r is 1 when `values[r]` is below every earlier value and not
 * above any later one.
 */
export function firstArgminOneHot<T>(ops: TensorOps<T>, values: readonly T[]): T[] {
  const one = ops.scalar(1);
  return values.map((candidate, r) => {
    let isMin = one;
    values.forEach((other, q) => {
      if (q < r) isMin = ops.mul(isMin, ops.greater(other, candidate));
      if (q > r) isMin = ops.mul(isMin, ops.sub(one, ops.greater(candidate, other)));
    });
    return isMin;
  });
}

/** Repeats each task's rank-0 weight for every shared tensor, giving weights indexed `[task][tensor]`. */
export function perTensorWeights<T>(taskWeights: readonly T[], tensorCount: number): T[][] {
  return taskWeights.map((w) => Array.from({ length: tensorCount }, () => w));
}

/**
 * Advances an Adam bias correction `c_t = 1 - beta^t` by one step as
 * `c_{t+1} = (1 - beta) + beta * c_t`, starting from `c_0 = 0`. Unlike `1 - beta^t` computed
 * from a stored power, this avoids cancellation in float32: for beta = 0.999 the first
 * correction is 0.001 to float32 precision instead of being off by 5e-5 relative.
 */
export function nextBiasCorrection<T>(ops: TensorOps<T>, correction: T, beta: number): T {
  return ops.add(ops.scalar(1 - beta), ops.mul(ops.scalar(beta), correction));
}
