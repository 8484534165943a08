import { InvalidArgumentError, formatShape, shapesEqual, sizeFromShape } from '../errors.js';
import type { HostTensor, TensorOps } from '../tensor_ops.js';

/**
 * Creates a host tensor, checking that the number of values matches the shape. Values are
 * rounded to float32.
 */
export function hostTensor(values: ArrayLike<number>, shape: readonly number[]): HostTensor {
  const size = sizeFromShape(shape);
  if (values.length !== size) {
    throw new InvalidArgumentError(
      'hostTensor',
      `values has ${values.length} elements but shape ${formatShape(shape)} needs ${size}.`,
    );
  }
  return { shape: [...shape], values: Float32Array.from(values) };
}

/** Shape that a binary elementwise operation produces, or an error naming the operation. */
function broadcastShape(operation: string, shapes: readonly (readonly number[])[]): readonly number[] {
  let result: readonly number[] = [];
  for (const shape of shapes) {
    if (shape.length === 0) continue;
    if (result.length === 0) {
      result = shape;
    } else if (!shapesEqual(result, shape)) {
      throw new InvalidArgumentError(
        operation,
        `operands must have the same shape or be rank 0, got ${shapes.map(formatShape).join(' and ')}.`,
      );
    }
  }
  return result;
}

function elementwise(
  operation: string,
  inputs: readonly HostTensor[],
  fn: (...values: number[]) => number,
): HostTensor {
  const shape = broadcastShape(
    operation,
    inputs.map((x) => x.shape),
  );
  const size = sizeFromShape(shape);
  const out = new Float32Array(size);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < size; i++) {
    for (let n = 0; n < inputs.length; n++) {
      const values = inputs[n].values;
      args[n] = values.length === 1 ? values[0] : values[i];
    }
    out[i] = fn(...args);
  }
  return { shape: [...shape], values: out };
}

function rank0(value: number): HostTensor {
  return { shape: [], values: Float32Array.of(value) };
}

/**
 * Reference implementation of `TensorOps` over `Float32Array`, for tests and as a model for new
 * backends. It favours clarity over speed.
 *
 * Each result element is rounded to float32. Reductions (`sum`, `norm`, `dot`) accumulate in
 * float64 before rounding, so they can differ from a float32-accumulating backend in the last
 * bits.
 */
export const referenceOps: TensorOps<HostTensor> = {
  backendName: 'reference',

  shape: (x) => x.shape,
  scalar: (value) => rank0(value),
  zeros: (shape) => ({ shape: [...shape], values: new Float32Array(sizeFromShape(shape)) }),
  zerosLike: (x) => ({ shape: [...x.shape], values: new Float32Array(x.values.length) }),

  add: (a, b) => elementwise('add', [a, b], (x, y) => x + y),
  sub: (a, b) => elementwise('sub', [a, b], (x, y) => x - y),
  mul: (a, b) => elementwise('mul', [a, b], (x, y) => x * y),
  div: (a, b) => elementwise('div', [a, b], (x, y) => x / y),
  scale: (x, factor) => {
    if (factor.shape.length !== 0) {
      throw new InvalidArgumentError('scale', `factor must be rank 0, got shape ${formatShape(factor.shape)}.`);
    }
    return elementwise('scale', [x, factor], (v, f) => v * f);
  },
  maximum: (a, b) => elementwise('maximum', [a, b], (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y))),
  minimum: (a, b) => elementwise('minimum', [a, b], (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y))),
  greater: (a, b) => elementwise('greater', [a, b], (x, y) => (x > y ? 1 : 0)),
  equal: (a, b) => elementwise('equal', [a, b], (x, y) => (x === y ? 1 : 0)),
  where: (condition, a, b) => elementwise('where', [condition, a, b], (c, x, y) => (c !== 0 ? x : y)),

  neg: (x) => elementwise('neg', [x], (v) => -v),
  abs: (x) => elementwise('abs', [x], Math.abs),
  sqrt: (x) => elementwise('sqrt', [x], Math.sqrt),
  exp: (x) => elementwise('exp', [x], Math.exp),
  log: (x) => elementwise('log', [x], Math.log),

  sum: (x) => {
    let total = 0;
    for (const v of x.values) total += v;
    return rank0(total);
  },
  norm: (x) => {
    let total = 0;
    for (const v of x.values) total += v * v;
    return rank0(Math.sqrt(total));
  },
  dot: (a, b) => {
    if (!shapesEqual(a.shape, b.shape)) {
      throw new InvalidArgumentError(
        'dot',
        `operands must have the same shape, got ${formatShape(a.shape)} and ${formatShape(b.shape)}.`,
      );
    }
    let total = 0;
    for (let i = 0; i < a.values.length; i++) total += a.values[i] * b.values[i];
    return rank0(total);
  },
  allFinite: (x) => rank0(x.values.every(Number.isFinite) ? 1 : 0),
};
