import { formatShape, shapesEqual } from '../errors.js';
import { hostTensor } from '../reference/reference_ops.js';
import type { HostTensor, TensorOps } from '../tensor_ops.js';

/**
 * A backend under test. `evaluate` runs `compute` on backend tensors made from `inputs` and
 * returns its outputs on the host. An eager backend creates tensors and reads them back; a graph
 * backend traces `compute` into a graph with `inputs` as graph inputs and runs it.
 */
export interface ConformanceBackend<T> {
  readonly ops: TensorOps<T>;
  evaluate(compute: (ops: TensorOps<T>, inputs: T[]) => T[], inputs: HostTensor[]): Promise<HostTensor[]>;
}

/** One conformance check: inputs, the computation and the expected outputs. */
export interface ConformanceCase {
  readonly name: string;
  readonly inputs: HostTensor[];
  compute<T>(ops: TensorOps<T>, inputs: T[]): T[];
  /** Expected outputs; NaN matches NaN and infinities must match exactly. */
  readonly expected: HostTensor[];
  /** Relative tolerance for finite values (default 1e-6). */
  readonly tolerance?: number;
}

/**
 * Builds a `ConformanceBackend` for an eager backend from functions that copy tensors to and
 * from the host.
 */
export function eagerConformanceBackend<T>(
  ops: TensorOps<T>,
  fromHost: (host: HostTensor) => T,
  toHost: (tensor: T) => HostTensor | Promise<HostTensor>,
): ConformanceBackend<T> {
  return {
    ops,
    async evaluate(compute, inputs) {
      const outputs = compute(ops, inputs.map(fromHost));
      return Promise.all(outputs.map((x) => toHost(x)));
    },
  };
}

const t = hostTensor;
const s = (value: number): HostTensor => hostTensor([value], []);

/** The cases every `TensorOps` implementation must pass. */
export const tensorOpsConformanceCases: readonly ConformanceCase[] = [
  {
    name: 'add, sub, mul and div on equal shapes',
    inputs: [t([1, -2, 3, 4.5, 0, 6], [2, 3]), t([0.5, 2, -3, 1.5, 7, -2], [2, 3])],
    compute: (ops, [a, b]) => [ops.add(a, b), ops.sub(a, b), ops.mul(a, b), ops.div(a, b)],
    expected: [
      t([1.5, 0, 0, 6, 7, 4], [2, 3]),
      t([0.5, -4, 6, 3, -7, 8], [2, 3]),
      t([0.5, -4, -9, 6.75, 0, -12], [2, 3]),
      t([2, -1, -1, 3, 0, -3], [2, 3]),
    ],
  },
  {
    name: 'rank-0 operand broadcasts on either side',
    inputs: [t([1, 2, 3, 4], [4]), s(2)],
    compute: (ops, [x, c]) => [ops.add(x, c), ops.sub(c, x), ops.mul(c, x), ops.div(x, c), ops.div(c, x)],
    expected: [t([3, 4, 5, 6], [4]), t([1, 0, -1, -2], [4]), t([2, 4, 6, 8], [4]), t([0.5, 1, 1.5, 2], [4]), t([2, 1, 2 / 3, 0.5], [4])],
  },
  {
    name: 'rank-0 with rank-0 stays rank 0',
    inputs: [s(3), s(-4)],
    compute: (ops, [a, b]) => [ops.add(a, b), ops.mul(a, b), ops.maximum(a, b)],
    expected: [s(-1), s(-12), s(3)],
  },
  {
    name: 'scale by a rank-0 tensor',
    inputs: [t([1, -2, 0.25, 8], [2, 2]), s(-0.5)],
    compute: (ops, [x, f]) => [ops.scale(x, f)],
    expected: [t([-0.5, 1, -0.125, -4], [2, 2])],
  },
  {
    name: 'division by zero follows IEEE 754',
    inputs: [t([1, -1, 0], [3]), t([0, 0, 0], [3])],
    compute: (ops, [a, b]) => [ops.div(a, b)],
    expected: [t([Infinity, -Infinity, NaN], [3])],
  },
  {
    name: 'maximum and minimum',
    inputs: [t([1, 5, -3, 0], [4]), t([2, 4, -3, -1], [4])],
    compute: (ops, [a, b]) => [ops.maximum(a, b), ops.minimum(a, b)],
    expected: [t([2, 5, -3, 0], [4]), t([1, 4, -3, -1], [4])],
  },
  {
    name: 'greater and equal give 0/1 masks',
    inputs: [t([1, 5, -3, 0, NaN], [5]), t([2, 4, -3, -1, 1], [5])],
    compute: (ops, [a, b]) => [ops.greater(a, b), ops.equal(a, b), ops.greater(a, ops.scalar(0))],
    expected: [t([0, 1, 0, 1, 0], [5]), t([0, 0, 1, 0, 0], [5]), t([1, 1, 0, 0, 0], [5])],
  },
  {
    name: 'where selects and does not leak NaN',
    inputs: [t([1, 0, 1, 0], [4]), t([NaN, 2, 3, Infinity], [4]), t([5, NaN, 7, 8], [4])],
    compute: (ops, [c, a, b]) => [ops.where(c, a, b), ops.where(ops.scalar(0), a, b), ops.where(c, ops.scalar(9), b)],
    expected: [t([NaN, NaN, 3, 8], [4]), t([5, NaN, 7, 8], [4]), t([9, NaN, 9, 8], [4])],
  },
  {
    name: 'where with rank-0 condition selects whole tensors',
    inputs: [s(1), t([1, 2], [2]), t([NaN, NaN], [2])],
    compute: (ops, [c, a, b]) => [ops.where(c, a, b), ops.where(ops.scalar(0), b, a)],
    expected: [t([1, 2], [2]), t([1, 2], [2])],
  },
  {
    name: 'neg, abs, sqrt, exp and log',
    inputs: [t([0.25, 4, 1, 2], [4])],
    compute: (ops, [x]) => [ops.neg(x), ops.abs(ops.neg(x)), ops.sqrt(x), ops.exp(x), ops.log(x)],
    expected: [
      t([-0.25, -4, -1, -2], [4]),
      t([0.25, 4, 1, 2], [4]),
      t([0.5, 2, 1, Math.SQRT2], [4]),
      t([Math.exp(0.25), Math.exp(4), Math.E, Math.exp(2)], [4]),
      t([Math.log(0.25), Math.log(4), 0, Math.LN2], [4]),
    ],
  },
  {
    name: 'sum, norm and dot reduce to rank 0',
    inputs: [t([3, -4, 0, 12], [2, 2]), t([1, 2, 3, -0.5], [2, 2])],
    compute: (ops, [a, b]) => [ops.sum(a), ops.norm(a), ops.dot(a, b)],
    expected: [s(11), s(13), s(-11)],
  },
  {
    name: 'norm of zeros is zero',
    inputs: [t([0, 0, 0], [3])],
    compute: (ops, [x]) => [ops.norm(x), ops.sum(ops.zerosLike(x)), ops.zerosLike(x)],
    expected: [s(0), s(0), t([0, 0, 0], [3])],
  },
  {
    name: 'norm of a large tensor',
    inputs: [t(Array.from({ length: 1000 }, (_, i) => ((i % 7) - 3) * 0.01), [10, 100])],
    compute: (ops, [x]) => [ops.norm(x)],
    expected: [s(Math.sqrt(Array.from({ length: 1000 }, (_, i) => (((i % 7) - 3) * 0.01) ** 2).reduce((a, b) => a + b)))],
    tolerance: 1e-5,
  },
  {
    name: 'allFinite detects NaN and infinities',
    inputs: [t([1, 2, 3], [3]), t([1, NaN, 3], [3]), t([-Infinity, 0], [2]), s(Infinity)],
    compute: (ops, [a, b, c, d]) => [ops.allFinite(a), ops.allFinite(b), ops.allFinite(c), ops.allFinite(d)],
    expected: [s(1), s(0), s(0), s(0)],
  },
  {
    name: 'zeros of a given shape',
    inputs: [],
    compute: (ops) => [ops.zeros([2, 3]), ops.zeros([]), ops.add(ops.zeros([2]), ops.scalar(1))],
    expected: [t([0, 0, 0, 0, 0, 0], [2, 3]), s(0), t([1, 1], [2])],
  },
  {
    name: 'scalar constants round to float32',
    inputs: [],
    compute: (ops) => [ops.scalar(0.1), ops.scalar(-3)],
    expected: [s(0.1), s(-3)],
  },
];

/**
 * Compares `actual` with `expected` and returns a description of the first mismatch, or `null`.
 * Finite values match within `tolerance` relative to `max(1, |expected|)`.
 */
export function compareHostTensors(actual: HostTensor, expected: HostTensor, tolerance: number): string | null {
  if (!shapesEqual(actual.shape, expected.shape)) {
    return `shape ${formatShape(actual.shape)}, expected ${formatShape(expected.shape)}`;
  }
  for (let i = 0; i < expected.values.length; i++) {
    const a = actual.values[i];
    const e = expected.values[i];
    const matches = Number.isFinite(e)
      ? Math.abs(a - e) <= tolerance * Math.max(1, Math.abs(e))
      : Number.isNaN(e)
        ? Number.isNaN(a)
        : a === e;
    if (!matches) return `element ${i} is ${a}, expected ${e}`;
  }
  return null;
}

/** Runs one conformance case and throws an error that names the case and the mismatch. */
export async function runConformanceCase<T>(backend: ConformanceBackend<T>, testCase: ConformanceCase): Promise<void> {
  const outputs = await backend.evaluate((ops, inputs) => testCase.compute(ops, inputs), testCase.inputs);
  if (outputs.length !== testCase.expected.length) {
    throw new Error(`${testCase.name}: got ${outputs.length} outputs, expected ${testCase.expected.length}`);
  }
  outputs.forEach((output, n) => {
    const mismatch = compareHostTensors(output, testCase.expected[n], testCase.tolerance ?? 1e-6);
    if (mismatch !== null) {
      throw new Error(`${backend.ops.backendName}: ${testCase.name}: output ${n}: ${mismatch}`);
    }
  });
}
