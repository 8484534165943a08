import { InvalidArgumentError, formatShape, shapesEqual } from '@mb/core';
import type { HostTensor, TensorOps } from '@mb/core';
import type { ConformanceBackend } from '@mb/core/testing';

import { GraphBuilder, attr } from './graph.js';
import type { GraphTensor } from './graph.js';
import { serializeModel } from './onnx_export.js';
import { createSession, floatTensor, toHostTensor } from './session.js';
import type { SessionOptions } from './session.js';

const CAST_FLOAT = { to: attr.int(1) };
const CAST_BOOL = { to: attr.int(9) };

/**
 * `TensorOps` over symbolic graph tensors: every call records ONNX nodes into `graph` instead
 * of computing, so a transform's `update` traced through it becomes part of a training graph.
 *
 * Row-sparse tensors get cheaper but equal nodes. An embedding gradient is `ScatterND` with
 * reduction `add` of batch rows into zeros of the table's shape (see `gradients`). For such a
 * tensor, `norm` and `allFinite` read the batch rows summed per distinct id, which are the
 * table's only non-zero rows. `scale`, `mul` by a rank-0 tensor, `add` of two such tensors and
 * `where` with a rank-0 condition act on the rows before one final scatter. The results are the
 * values the dense computation gives, up to float32 rounding order, without touching every table
 * row once per task.
 */
export class GraphOps implements TensorOps<GraphTensor> {
  readonly backendName = 'onnx-graph';

  constructor(readonly graph: GraphBuilder) {}

  shape(x: GraphTensor): readonly number[] {
    return x.shape;
  }

  scalar(value: number): GraphTensor {
    return this.graph.floatConstant([value]);
  }

  zeros(shape: readonly number[]): GraphTensor {
    return zeros(this.graph, shape);
  }

  zerosLike(x: GraphTensor): GraphTensor {
    return zeros(this.graph, x.shape);
  }

  add(a: GraphTensor, b: GraphTensor): GraphTensor {
    const rowsA = rowSparse(a);
    const rowsB = rowSparse(b);
    if (rowsA !== undefined && rowsB !== undefined && shapesEqual(a.shape, b.shape)) {
      // Scatter-add is linear, so the sum of two scatters is one scatter of both row sets. A
      // chain of sums becomes one Concat of all parts instead of nested, ever larger copies.
      const indices = this.graph.node('Concat', [...concatParts(rowsA.indices), ...concatParts(rowsB.indices)], { axis: attr.int(0) });
      const updates = this.graph.node('Concat', [...concatParts(rowsA.updates), ...concatParts(rowsB.updates)], { axis: attr.int(0) });
      return scatterRows(this.graph, a.shape, indices, updates);
    }
    return this.binary('Add', 'add', a, b);
  }

  sub(a: GraphTensor, b: GraphTensor): GraphTensor {
    return this.binary('Sub', 'sub', a, b);
  }

  mul(a: GraphTensor, b: GraphTensor): GraphTensor {
    if (b.shape.length === 0 && rowSparse(a) !== undefined) return this.scale(a, b);
    if (a.shape.length === 0 && rowSparse(b) !== undefined) return this.scale(b, a);
    return this.binary('Mul', 'mul', a, b);
  }

  div(a: GraphTensor, b: GraphTensor): GraphTensor {
    return this.binary('Div', 'div', a, b);
  }

  scale(x: GraphTensor, factor: GraphTensor): GraphTensor {
    if (factor.shape.length !== 0) {
      throw new InvalidArgumentError('GraphOps.scale', `factor must be rank 0, got shape ${formatShape(factor.shape)}.`);
    }
    const rows = rowSparse(x);
    if (rows !== undefined) return scatterRows(this.graph, x.shape, rows.indices, this.graph.node('Mul', [rows.updates, factor]));
    return this.graph.node('Mul', [x, factor]);
  }

  maximum(a: GraphTensor, b: GraphTensor): GraphTensor {
    return this.binary('Max', 'maximum', a, b);
  }

  minimum(a: GraphTensor, b: GraphTensor): GraphTensor {
    return this.binary('Min', 'minimum', a, b);
  }

  greater(a: GraphTensor, b: GraphTensor): GraphTensor {
    return this.graph.node('Cast', [this.binary('Greater', 'greater', a, b)], CAST_FLOAT);
  }

  equal(a: GraphTensor, b: GraphTensor): GraphTensor {
    return this.graph.node('Cast', [this.binary('Equal', 'equal', a, b)], CAST_FLOAT);
  }

  where(condition: GraphTensor, a: GraphTensor, b: GraphTensor): GraphTensor {
    const shape = commonShape('GraphOps.where', [condition, a, b]);
    // A zeros operand of full shape broadcasts equally well as a rank-0 zero, which saves
    // materializing it when another operand already has the full shape.
    const bool = this.toBool(condition);
    const rows = rowSparse(a);
    if (condition.shape.length === 0 && rows !== undefined && isZeros(b) && shapesEqual(a.shape, b.shape)) {
      const kept = this.graph.node('Where', [bool, rows.updates, this.scalar(0)]);
      return scatterRows(this.graph, a.shape, rows.indices, kept);
    }
    const narrowed = [a, b].map((x) => (isZeros(x) && shapesEqual(x.shape, shape) && [a, b].some((y) => y !== x && shapesEqual(y.shape, shape)) ? this.scalar(0) : x));
    return this.graph.node('Where', [bool, narrowed[0], narrowed[1]]);
  }

  /** Converts a 0/1 mask to bool. A mask cast from a bool tensor gives that tensor back. */
  private toBool(mask: GraphTensor): GraphTensor {
    const producer = mask.producer;
    if (producer?.opType === 'Cast' && producer.inputs[0].dtype === 'bool') return producer.inputs[0];
    return this.graph.node('Cast', [mask], CAST_BOOL);
  }

  neg(x: GraphTensor): GraphTensor {
    return this.graph.node('Neg', [x]);
  }

  abs(x: GraphTensor): GraphTensor {
    return this.graph.node('Abs', [x]);
  }

  sqrt(x: GraphTensor): GraphTensor {
    return this.graph.node('Sqrt', [x]);
  }

  exp(x: GraphTensor): GraphTensor {
    return this.graph.node('Exp', [x]);
  }

  log(x: GraphTensor): GraphTensor {
    return this.graph.node('Log', [x]);
  }

  sum(x: GraphTensor): GraphTensor {
    return this.graph.node('ReduceSum', [x], { keepdims: attr.int(0) });
  }

  norm(x: GraphTensor): GraphTensor {
    return this.graph.node('ReduceL2', [denseRows(this.graph, x)], { keepdims: attr.int(0) });
  }

  dot(a: GraphTensor, b: GraphTensor): GraphTensor {
    if (!shapesEqual(a.shape, b.shape)) {
      throw new InvalidArgumentError('GraphOps.dot', `shapes must be equal, got ${formatShape(a.shape)} and ${formatShape(b.shape)}.`);
    }
    return this.sum(this.graph.node('Mul', [a, b]));
  }

  allFinite(x: GraphTensor): GraphTensor {
    // x * 0 is 0 for finite x and NaN for NaN or infinity, so the sum is 0 exactly when every
    // element is finite, and the sum itself cannot overflow.
    const rows = denseRows(this.graph, x);
    let probe = this.graph.node('Mul', [rows, this.scalar(0)]);
    if (probe.shape.length > 0) probe = this.graph.node('ReduceSum', [probe], { keepdims: attr.int(0) });
    return this.graph.node('Cast', [this.graph.node('Equal', [probe, this.scalar(0)])], CAST_FLOAT);
  }

  private binary(opType: string, operation: string, a: GraphTensor, b: GraphTensor): GraphTensor {
    commonShape(`GraphOps.${operation}`, [a, b]);
    return this.graph.node(opType, [a, b]);
  }
}

/** Creates a float32 zeros tensor of `shape` with `ConstantOfShape`, so no values are stored. */
export function zeros(graph: GraphBuilder, shape: readonly number[]): GraphTensor {
  if (shape.length === 0) return graph.floatConstant([0]);
  return graph.node('ConstantOfShape', [graph.intConstant(shape)], {
    value: attr.tensor({ dtype: 'float32', shape: [1], values: new Float32Array([0]) }),
  });
}

/** Index and update rows of a tensor made by `ScatterND` with reduction `add` into zeros. */
interface ScatteredRows {
  /** Row indices, shape [n, 1]. */
  readonly indices: GraphTensor;
  /** Rows added at those indices, shape [n, ...row shape]. */
  readonly updates: GraphTensor;
}

/** Returns the scattered rows when `x` is a scatter-add of rows into zeros, else undefined. */
export function rowSparse(x: GraphTensor): ScatteredRows | undefined {
  const producer = x.producer;
  if (producer?.opType !== 'ScatterND') return undefined;
  const reduction = producer.attributes.reduction;
  if (reduction?.kind !== 'string' || reduction.value !== 'add' || !isZeros(producer.inputs[0])) return undefined;
  const indices = producer.inputs[1];
  if (indices.shape.length !== 2 || indices.shape[1] !== 1) return undefined;
  return { indices, updates: producer.inputs[2] };
}

/** Scatter-adds `updates` at row `indices` into zeros of `shape`. */
export function scatterRows(graph: GraphBuilder, shape: readonly number[], indices: GraphTensor, updates: GraphTensor): GraphTensor {
  return graph.node('ScatterND', [zeros(graph, shape), indices, updates], { reduction: attr.string('add') });
}

/**
 * For a row-sparse `x`, returns its rows summed per distinct index and padded with zero rows to
 * the number of updates. These are exactly the non-zero rows of `x`. Returns `x` itself otherwise.
 */
function denseRows(graph: GraphBuilder, x: GraphTensor): GraphTensor {
  const rows = rowSparse(x);
  if (rows === undefined) return x;
  const count = rows.indices.shape[0];
  const ids = graph.node('Reshape', [rows.indices, graph.intConstant([count])]);
  const inverse = graph.multiOutputNode('Unique', [ids], { sorted: attr.int(0) }, 4)[2];
  const compactIndices = graph.node('Unsqueeze', [inverse, graph.intConstant([1])]);
  return scatterRows(graph, rows.updates.shape, compactIndices, rows.updates);
}

/** Returns the inputs of `x` when it is a Concat on axis 0, else `[x]`. */
function concatParts(x: GraphTensor): readonly GraphTensor[] {
  const producer = x.producer;
  const axis = producer?.attributes.axis;
  if (producer?.opType === 'Concat' && axis?.kind === 'int' && axis.value === 0) return producer.inputs;
  return [x];
}

function isZeros(x: GraphTensor): boolean {
  const producer = x.producer;
  if (producer?.opType === 'ConstantOfShape') {
    const value = producer.attributes.value;
    return value.kind === 'tensor' && value.value.values[0] === 0;
  }
  return x.constant !== undefined && x.constant.dtype === 'float32' && (x.constant.values as Float32Array).every((v) => v === 0);
}

/** Applies the `TensorOps` broadcasting rule: equal shapes, or rank-0 operands. */
function commonShape(operation: string, operands: readonly GraphTensor[]): readonly number[] {
  let shape: readonly number[] = [];
  for (const x of operands) {
    if (x.shape.length === 0) continue;
    if (shape.length === 0) shape = x.shape;
    else if (!shapesEqual(shape, x.shape)) {
      throw new InvalidArgumentError(
        operation,
        `operands must have equal shapes or be rank 0, got ${operands.map((o) => formatShape(o.shape)).join(' and ')}.`,
      );
    }
  }
  return shape;
}

/**
 * Creates a conformance backend for `GraphOps`. Each `evaluate` traces `compute` with the inputs as
 * graph inputs, builds one session and runs it once.
 */
export function graphConformanceBackend(options: SessionOptions = {}): ConformanceBackend<GraphTensor> {
  // `ops` is only read for its backend name, because each evaluation traces into a fresh graph.
  const ops = new GraphOps(new GraphBuilder());
  return {
    ops,
    async evaluate(compute, inputs: HostTensor[]) {
      const graph = new GraphBuilder();
      const graphInputs = inputs.map((host, n) => graph.input(`input_${n}`, host.shape));
      const outputs = compute(new GraphOps(graph), graphInputs);
      outputs.forEach((x, n) => graph.output(`output_${n}`, x));
      const session = await createSession('graphConformanceBackend', serializeModel(graph), options);
      try {
        const feeds = Object.fromEntries(inputs.map((host, n) => [`input_${n}`, floatTensor(host)]));
        const results = await session.run(feeds);
        return outputs.map((_, n) => toHostTensor(results[`output_${n}`] as never));
      } finally {
        await session.release();
      }
    },
  };
}
