import { InvalidArgumentError, formatShape, sizeFromShape } from '@mb/core';

import type { AttributeValue, DataType, GraphTensor, OutputInfo } from './graph.js';

type Rule = (context: InferenceContext) => OutputInfo[];

/** Inputs and attributes of the node being inferred, with helpers that raise named errors. */
class InferenceContext {
  constructor(
    readonly nodeName: string,
    readonly opType: string,
    readonly inputs: readonly GraphTensor[],
    readonly attributes: Readonly<Record<string, AttributeValue>>,
  ) {}

  fail(message: string): never {
    throw new InvalidArgumentError(`${this.opType} node "${this.nodeName}"`, message);
  }

  /** Checks the input count, between `min` and `max`. */
  arity(min: number, max = min): void {
    const n = this.inputs.length;
    if (n < min || n > max) {
      const expected = min === max ? `${min}` : `${min} to ${max}`;
      this.fail(`takes ${expected} inputs, got ${n}.`);
    }
  }

  /** Returns input `index` after checking its element type. */
  input(index: number, ...dtypes: DataType[]): GraphTensor {
    const x = this.inputs[index];
    if (dtypes.length > 0 && !dtypes.includes(x.dtype)) {
      this.fail(`input ${index} ("${x.name}") must be ${dtypes.join(' or ')}, got ${x.dtype}.`);
    }
    return x;
  }

  /** Reads a constant int64 input, such as a shape or axes. */
  constantInts(index: number): number[] {
    const x = this.input(index, 'int64');
    if (x.constant === undefined) {
      this.fail(`input ${index} ("${x.name}") must be a constant known when the graph is built.`);
    }
    return Array.from(x.constant.values as BigInt64Array, Number);
  }

  int(name: string, fallback: number): number {
    const a = this.attributes[name];
    if (a === undefined) return fallback;
    if (a.kind !== 'int') this.fail(`attribute ${name} must be an int, got ${a.kind}.`);
    return a.value;
  }

  ints(name: string): readonly number[] | undefined {
    const a = this.attributes[name];
    if (a === undefined) return undefined;
    if (a.kind !== 'ints') this.fail(`attribute ${name} must be ints, got ${a.kind}.`);
    return a.value;
  }

  /** Normalizes a possibly negative axis for a tensor of rank `rank`. */
  axis(value: number, rank: number, what: string): number {
    const axis = value < 0 ? value + rank : value;
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
      this.fail(`${what} ${value} is out of range for rank ${rank}.`);
    }
    return axis;
  }

  /** Numpy-style broadcast of all inputs' shapes. */
  broadcast(tensors: readonly GraphTensor[] = this.inputs): number[] {
    const rank = Math.max(...tensors.map((t) => t.shape.length));
    const result: number[] = new Array(rank).fill(1);
    for (const t of tensors) {
      const offset = rank - t.shape.length;
      t.shape.forEach((dim, i) => {
        const current = result[offset + i];
        if (dim === current || dim === 1) return;
        if (current === 1) {
          result[offset + i] = dim;
          return;
        }
        this.fail(
          `input "${t.name}" with shape ${formatShape(t.shape)} does not broadcast with shape ${formatShape(result)}.`,
        );
      });
    }
    return result;
  }
}

const FLOAT: DataType[] = ['float32'];

function elementwise(outputType?: DataType): Rule {
  return (c) => {
    c.arity(2);
    const a = c.input(0);
    const b = c.input(1);
    if (a.dtype !== b.dtype) c.fail(`input 1 ("${b.name}") is ${b.dtype} but input 0 ("${a.name}") is ${a.dtype}.`);
    return [{ shape: c.broadcast(), dtype: outputType ?? a.dtype }];
  };
}

function unaryFloat(c: InferenceContext): OutputInfo[] {
  c.arity(1);
  const x = c.input(0, ...FLOAT);
  return [{ shape: x.shape, dtype: x.dtype }];
}

function reduce(c: InferenceContext): OutputInfo[] {
  c.arity(1, 2);
  const x = c.input(0, ...FLOAT);
  const keepdims = c.int('keepdims', 1) === 1;
  if (c.int('noop_with_empty_axes', 0) !== 0) c.fail('attribute noop_with_empty_axes=1 is not supported.');
  const rank = x.shape.length;
  const axes = c.inputs.length === 2 ? c.constantInts(1).map((a) => c.axis(a, rank, 'axis')) : x.shape.map((_, i) => i);
  const shape: number[] = [];
  x.shape.forEach((dim, i) => {
    if (!axes.includes(i)) shape.push(dim);
    else if (keepdims) shape.push(1);
  });
  return [{ shape, dtype: x.dtype }];
}

const RULES: Record<string, Rule> = {
  Add: elementwise(),
  Sub: elementwise(),
  Mul: elementwise(),
  Div: elementwise(),
  Max: elementwise(),
  Min: elementwise(),
  Pow: elementwise(),
  Greater: elementwise('bool'),
  Equal: elementwise('bool'),
  And: elementwise('bool'),
  Or: elementwise('bool'),
  Neg: unaryFloat,
  Abs: unaryFloat,
  Sqrt: unaryFloat,
  Exp: unaryFloat,
  Log: unaryFloat,
  Relu: unaryFloat,
  Sigmoid: unaryFloat,
  Softplus: unaryFloat,
  Sign: unaryFloat,
  Identity: (c) => {
    c.arity(1);
    return [{ shape: c.inputs[0].shape, dtype: c.inputs[0].dtype }];
  },
  Not: (c) => {
    c.arity(1);
    return [{ shape: c.input(0, 'bool').shape, dtype: 'bool' }];
  },
  IsNaN: (c) => {
    c.arity(1);
    return [{ shape: c.input(0, ...FLOAT).shape, dtype: 'bool' }];
  },
  IsInf: (c) => {
    c.arity(1);
    return [{ shape: c.input(0, ...FLOAT).shape, dtype: 'bool' }];
  },
  Cast: (c) => {
    c.arity(1);
    const to = c.int('to', -1);
    const dtype = ({ 1: 'float32', 7: 'int64', 9: 'bool' } as Record<number, DataType>)[to];
    if (dtype === undefined) c.fail(`attribute to=${to} is not one of 1 (float), 7 (int64), 9 (bool).`);
    return [{ shape: c.inputs[0].shape, dtype }];
  },
  Where: (c) => {
    c.arity(3);
    c.input(0, 'bool');
    const a = c.input(1);
    const b = c.input(2);
    if (a.dtype !== b.dtype) c.fail(`input 2 ("${b.name}") is ${b.dtype} but input 1 ("${a.name}") is ${a.dtype}.`);
    return [{ shape: c.broadcast(), dtype: a.dtype }];
  },
  ReduceSum: reduce,
  ReduceMean: reduce,
  ReduceMax: reduce,
  ReduceMin: reduce,
  ReduceProd: reduce,
  ReduceSumSquare: reduce,
  ReduceL2: reduce,
  MatMul: (c) => {
    c.arity(2);
    const a = c.input(0, ...FLOAT);
    const b = c.input(1, ...FLOAT);
    if (a.shape.length < 2 || b.shape.length < 2) {
      c.fail(`inputs must have rank 2 or more, got ${formatShape(a.shape)} and ${formatShape(b.shape)}.`);
    }
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) {
      c.fail(`input 0 ("${a.name}") ${formatShape(a.shape)} and input 1 ("${b.name}") ${formatShape(b.shape)} have mismatched inner dimensions.`);
    }
    // Leading (batch) dimensions broadcast as in numpy.matmul.
    const lead = c.broadcast([{ ...a, shape: a.shape.slice(0, -2) } as GraphTensor, { ...b, shape: b.shape.slice(0, -2) } as GraphTensor]);
    return [{ shape: [...lead, m, n], dtype: a.dtype }];
  },
  Gemm: (c) => {
    c.arity(2, 3);
    const a = c.input(0, ...FLOAT);
    const b = c.input(1, ...FLOAT);
    if (a.shape.length !== 2) c.fail(`input 0 ("${a.name}") must be rank 2, got ${formatShape(a.shape)}.`);
    if (b.shape.length !== 2) c.fail(`input 1 ("${b.name}") must be rank 2, got ${formatShape(b.shape)}.`);
    const [m, k] = c.int('transA', 0) === 1 ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const [k2, n] = c.int('transB', 0) === 1 ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
    if (k !== k2) c.fail(`input 0 ("${a.name}") and input 1 ("${b.name}") have mismatched inner dimensions ${k} and ${k2}.`);
    if (c.inputs.length === 3) {
      const bias = c.input(2, ...FLOAT);
      const broadcast = c.broadcast([bias, { ...bias, shape: [m, n] } as GraphTensor]);
      if (broadcast[0] !== m || broadcast[1] !== n) c.fail(`input 2 ("${bias.name}") ${formatShape(bias.shape)} does not broadcast to [${m},${n}].`);
    }
    return [{ shape: [m, n], dtype: a.dtype }];
  },
  Gather: (c) => {
    c.arity(2);
    const data = c.input(0);
    const indices = c.input(1, 'int64');
    const axis = c.axis(c.int('axis', 0), data.shape.length, 'axis');
    const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
    return [{ shape, dtype: data.dtype }];
  },
  ScatterND: (c) => {
    c.arity(3);
    const data = c.input(0);
    const indices = c.input(1, 'int64');
    const updates = c.input(2);
    const depth = indices.shape[indices.shape.length - 1];
    if (indices.shape.length === 0 || depth > data.shape.length) {
      c.fail(`input 1 ("${indices.name}") ${formatShape(indices.shape)} does not index data ${formatShape(data.shape)}.`);
    }
    const expected = [...indices.shape.slice(0, -1), ...data.shape.slice(depth)];
    if (formatShape(expected) !== formatShape(updates.shape)) {
      c.fail(`input 2 ("${updates.name}") must have shape ${formatShape(expected)}, got ${formatShape(updates.shape)}.`);
    }
    if (updates.dtype !== data.dtype) c.fail(`input 2 ("${updates.name}") is ${updates.dtype} but data is ${data.dtype}.`);
    return [{ shape: data.shape, dtype: data.dtype }];
  },
  Concat: (c) => {
    if (c.inputs.length === 0) c.fail('takes at least 1 input, got 0.');
    const first = c.inputs[0];
    const axis = c.axis(c.int('axis', 0), first.shape.length, 'axis');
    let total = 0;
    c.inputs.forEach((x, n) => {
      const sameRest = x.shape.length === first.shape.length && x.shape.every((dim, i) => i === axis || dim === first.shape[i]);
      if (!sameRest || x.dtype !== first.dtype) {
        c.fail(`input ${n} ("${x.name}") ${x.dtype}${formatShape(x.shape)} does not match input 0 ${first.dtype}${formatShape(first.shape)} outside axis ${axis}.`);
      }
      total += x.shape[axis];
    });
    const shape = [...first.shape];
    shape[axis] = total;
    return [{ shape, dtype: first.dtype }];
  },
  Reshape: (c) => {
    c.arity(2);
    const x = c.input(0);
    const target = c.constantInts(1);
    if (target.some((d) => d <= 0)) c.fail(`shape ${formatShape(target)} must be fully specified (no 0 or -1 entries).`);
    if (sizeFromShape(target) !== sizeFromShape(x.shape)) {
      c.fail(`input 0 ("${x.name}") ${formatShape(x.shape)} cannot be reshaped to ${formatShape(target)}.`);
    }
    return [{ shape: target, dtype: x.dtype }];
  },
  Expand: (c) => {
    c.arity(2);
    const x = c.input(0);
    const target = c.constantInts(1);
    const shape = c.broadcast([x, { ...x, name: 'shape', shape: target } as GraphTensor]);
    return [{ shape, dtype: x.dtype }];
  },
  Transpose: (c) => {
    c.arity(1);
    const x = c.input(0);
    const rank = x.shape.length;
    const perm = c.ints('perm') ?? x.shape.map((_, i) => rank - 1 - i);
    const sorted = [...perm].sort((p, q) => p - q);
    if (perm.length !== rank || sorted.some((p, i) => p !== i)) c.fail(`attribute perm ${formatShape(perm)} is not a permutation of rank ${rank}.`);
    return [{ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }];
  },
  Slice: (c) => {
    c.arity(4);
    const x = c.input(0);
    const starts = c.constantInts(1);
    const ends = c.constantInts(2);
    const axes = c.constantInts(3).map((a) => c.axis(a, x.shape.length, 'axis'));
    const shape = [...x.shape];
    axes.forEach((axis, i) => {
      const start = Math.min(Math.max(starts[i], 0), x.shape[axis]);
      const end = Math.min(Math.max(ends[i], 0), x.shape[axis]);
      if (starts[i] < 0 || ends[i] < 0) c.fail('negative starts and ends are not supported.');
      shape[axis] = Math.max(end - start, 0);
    });
    return [{ shape, dtype: x.dtype }];
  },
  Unsqueeze: (c) => {
    c.arity(2);
    const x = c.input(0);
    const rank = x.shape.length;
    const rawAxes = c.constantInts(1);
    const axes = rawAxes.map((a) => c.axis(a, rank + rawAxes.length, 'axis'));
    const shape: number[] = [];
    let source = 0;
    for (let i = 0; i < rank + axes.length; i++) shape.push(axes.includes(i) ? 1 : x.shape[source++]);
    return [{ shape, dtype: x.dtype }];
  },
  Unique: (c) => {
    c.arity(1);
    const x = c.input(0, 'int64');
    if (x.shape.length !== 1) c.fail(`input 0 ("${x.name}") must be rank 1, got ${formatShape(x.shape)}.`);
    if (c.attributes.axis !== undefined) c.fail('attribute axis is not supported.');
    // NOTE: outputs 0 (unique values) and 3 (counts) have a length known only at run time. Their
    // static shape [n] is an upper bound, so only output 2 (inverse indices) may be consumed.
    const n = x.shape[0];
    return [
      { shape: [n], dtype: 'int64' },
      { shape: [n], dtype: 'int64' },
      { shape: [n], dtype: 'int64' },
      { shape: [n], dtype: 'int64' },
    ];
  },
  ConstantOfShape: (c) => {
    c.arity(1);
    const shape = c.constantInts(0);
    const value = c.attributes.value;
    if (value?.kind === 'tensor') return [{ shape, dtype: value.value.dtype }];
    return c.fail('attribute value (a one-element tensor) is required.');
  },
};

/** Operators the builder can infer shapes for. */
export const SUPPORTED_OPERATORS: readonly string[] = Object.keys(RULES);

/**
 * Infers the output shapes and types of one node and checks its inputs, raising an
 * `InvalidArgumentError` that names the operator, the node and the offending input.
 */
export function inferNode(
  nodeName: string,
  opType: string,
  inputs: readonly GraphTensor[],
  attributes: Readonly<Record<string, AttributeValue>>,
): OutputInfo[] {
  const rule = RULES[opType];
  const context = new InferenceContext(nodeName, opType, inputs, attributes);
  if (rule === undefined) context.fail(`operator ${opType} is not supported by the graph builder.`);
  return rule(context);
}
