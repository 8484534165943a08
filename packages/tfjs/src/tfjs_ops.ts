import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, formatShape, shapesEqual } from '@mb/core';
import type { HostTensor, TensorOps } from '@mb/core';

/**
 * Checks the binary-operand rule of `TensorOps`: equal shapes, or rank 0 on at least one side.
 * tfjs would broadcast more pairs than the contract allows, so this check keeps tfjs programs
 * portable to the other backends.
 */
function checkOperands(operation: string, ...operands: tf.Tensor[]): void {
  let common: readonly number[] | null = null;
  for (const x of operands) {
    if (x.rank === 0) continue;
    if (common === null) {
      common = x.shape;
    } else if (!shapesEqual(common, x.shape)) {
      throw new InvalidArgumentError(
        operation,
        `operands must have the same shape or be rank 0, got ${operands.map((o) => formatShape(o.shape)).join(' and ')}.`,
      );
    }
  }
}

function toMask(x: tf.Tensor): tf.Tensor {
  return tf.cast(x, 'float32');
}

/**
 * `TensorOps` over tfjs tensors (float32) on the active tfjs backend. Operations run eagerly
 * and allocate new tensors, so callers wrap them in `tf.tidy` to release intermediates.
 */
export const tfjsOps: TensorOps<tf.Tensor> = {
  get backendName(): string {
    return `tfjs-${tf.getBackend()}`;
  },

  shape: (x) => x.shape,
  scalar: (value) => tf.scalar(value, 'float32'),
  zeros: (shape) => tf.zeros([...shape], 'float32'),
  zerosLike: (x) => tf.zerosLike(x),

  add: (a, b) => {
    checkOperands('add', a, b);
    return tf.add(a, b);
  },
  sub: (a, b) => {
    checkOperands('sub', a, b);
    return tf.sub(a, b);
  },
  mul: (a, b) => {
    checkOperands('mul', a, b);
    return tf.mul(a, b);
  },
  div: (a, b) => {
    checkOperands('div', a, b);
    return tf.div(a, b);
  },
  scale: (x, factor) => {
    if (factor.rank !== 0) {
      throw new InvalidArgumentError('scale', `factor must be rank 0, got shape ${formatShape(factor.shape)}.`);
    }
    return tf.mul(x, factor);
  },
  maximum: (a, b) => {
    checkOperands('maximum', a, b);
    return tf.maximum(a, b);
  },
  minimum: (a, b) => {
    checkOperands('minimum', a, b);
    return tf.minimum(a, b);
  },
  greater: (a, b) => {
    checkOperands('greater', a, b);
    return tf.tidy(() => toMask(tf.greater(a, b)));
  },
  equal: (a, b) => {
    checkOperands('equal', a, b);
    return tf.tidy(() => toMask(tf.equal(a, b)));
  },
  where: (condition, a, b) => {
    checkOperands('where', condition, a, b);
    return tf.tidy(() => {
      // tfjs `where` takes a bool condition, and the contract treats any non-zero value as true.
      // A rank-0 condition is expanded by a broadcasting comparison, because tfjs would expand
      // it with Tile, which is several times slower on the wasm backend.
      const shape = a.rank > 0 ? a.shape : b.shape;
      const mask = condition.rank === 0 && shape.length > 0 ? tf.notEqual(condition, tf.zeros(shape)) : tf.notEqual(condition, 0);
      return tf.where(mask, a, b);
    });
  },

  neg: (x) => tf.neg(x),
  abs: (x) => tf.abs(x),
  sqrt: (x) => tf.sqrt(x),
  exp: (x) => tf.exp(x),
  log: (x) => tf.log(x),

  sum: (x) => tf.sum(x),
  // tf.norm computes pow(abs(x), 2), which is much slower than square on the wasm backend.
  norm: (x) => tf.tidy(() => tf.sqrt(tf.sum(tf.square(x)))),
  dot: (a, b) => {
    if (!shapesEqual(a.shape, b.shape)) {
      throw new InvalidArgumentError(
        'dot',
        `operands must have the same shape, got ${formatShape(a.shape)} and ${formatShape(b.shape)}.`,
      );
    }
    return tf.tidy(() => tf.sum(tf.mul(a, b)));
  },
  allFinite: (x) => tf.tidy(() => toMask(tf.all(tf.isFinite(x)))),
};

/** Creates a float32 tfjs tensor from a host tensor. */
export function fromHostTensor(host: HostTensor): tf.Tensor {
  return tf.tensor(host.values, [...host.shape], 'float32');
}

/** Copies a tfjs tensor to the host as float32. */
export async function toHostTensor(x: tf.Tensor): Promise<HostTensor> {
  const values = await x.data();
  return { shape: [...x.shape], values: values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>) };
}
