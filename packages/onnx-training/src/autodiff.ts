import { InvalidArgumentError, formatShape, shapesEqual } from '@mb/core';

import { attr } from './graph.js';
import type { GraphBuilder, GraphNode, GraphTensor } from './graph.js';
import { zeros } from './graph_ops.js';

/**
 * Gradient rule of one operator: given the node and the gradient of its (first) output, returns
 * the gradient of each input, or `null` for inputs that need none (indices, shapes, masks).
 *
 * `lead` contains the leading dimensions every gradient carries in front of its tensor's shape:
 * `[]` for one loss, `[tasks]` when all task losses are differentiated together.
 */
type GradientRule = (graph: GraphBuilder, node: GraphNode, gradient: GraphTensor, lead: readonly number[]) => (GraphTensor | null)[];

/** Operators `gradients` can differentiate. */
export function differentiableOperators(): string[] {
  return Object.keys(RULES).sort();
}

/**
 * Builds the reverse-mode gradient of the rank-0 tensor `loss` with respect to each tensor in
 * `wrt`, as new nodes in the same graph. A tensor that `loss` does not depend on gets zeros.
 *
 * Calling it once per task loss over one forward pass shares that forward pass, and the
 * builder's node deduplication shares every backward node the passes have in common.
 * Raises when a node on a path from `wrt` to `loss` has no gradient rule, naming the operator.
 */
export function gradients(graph: GraphBuilder, loss: GraphTensor, wrt: readonly GraphTensor[]): GraphTensor[] {
  checkLoss('gradients', loss, 0);
  const accumulated = backward(graph, 'gradients', [loss], wrt, []);
  return wrt.map((x) => accumulated.dense.get(x.id) ?? zeros(graph, x.shape));
}

/**
 * Builds the gradients of every loss in `losses` with respect to every tensor in `wrt` in one
 * backward pass whose values carry a leading task axis: slice k of each intermediate gradient is
 * the gradient of `losses[k]`. Each operator then runs once on all tasks, for example one matrix
 * product of [tasks * batch, n] rows in place of one product per task, and the forward pass is
 * shared. Returns `result[k][j]`, the gradient of `losses[k]` with respect to `wrt[j]`.
 *
 * Embedding tables (tensors in `wrt` read by `Gather`) get per-task scatter-adds of the batch
 * rows into zeros, which `GraphOps` recognizes as row-sparse.
 */
export function taskGradients(graph: GraphBuilder, losses: readonly GraphTensor[], wrt: readonly GraphTensor[]): GraphTensor[][] {
  const operation = 'taskGradients';
  losses.forEach((loss, k) => checkLoss(operation, loss, k));
  const tasks = losses.length;
  const accumulated = backward(graph, operation, losses, wrt, [tasks]);

  return losses.map((_, k) => {
    const index = graph.constant({ dtype: 'int64', shape: [], values: new BigInt64Array([BigInt(k)]) });
    return wrt.map((x) => {
      const parts: GraphTensor[] = [];
      const single = accumulated.single.get(x.id);
      if (single !== undefined && accumulated.taskOf(x.id) === k) parts.push(single);
      const dense = accumulated.dense.get(x.id);
      if (dense !== undefined) parts.push(graph.node('Gather', [dense, index], { axis: attr.int(0) }));
      const slice = accumulated.slices.get(x.id)?.get(k);
      if (slice !== undefined) parts.push(slice);
      for (const rows of accumulated.rows.get(x.id) ?? []) {
        const updates = graph.node('Gather', [rows.updates, index], { axis: attr.int(0) });
        parts.push(graph.node('ScatterND', [zeros(graph, x.shape), rows.indices, updates], { reduction: attr.string('add') }));
      }
      if (parts.length === 0) return zeros(graph, x.shape);
      return parts.reduce((a, b) => graph.node('Add', [a, b]));
    });
  });
}

function checkLoss(operation: string, loss: GraphTensor, index: number): void {
  if (loss.shape.length !== 0 || loss.dtype !== 'float32') {
    throw new InvalidArgumentError(operation, `loss ${index} must be a rank-0 float32 tensor, got ${loss.dtype}${formatShape(loss.shape)}.`);
  }
}

/** Rows added into an embedding table's gradient: indices [batch, 1] and updates [...lead, batch, ...row]. */
interface PendingRows {
  readonly indices: GraphTensor;
  readonly updates: GraphTensor;
}

/** Gradients collected by `backward`, keyed by tensor id. */
interface Accumulated {
  /** Gradients with the leading dimensions `lead` (all of them when `lead` is empty). */
  readonly dense: Map<number, GraphTensor>;
  /** With a task axis: gradients of tensors only one loss depends on, without the task axis. */
  readonly single: Map<number, GraphTensor>;
  /** With a task axis: contributions of one task's own nodes to tensors several losses use. */
  readonly slices: Map<number, Map<number, GraphTensor>>;
  /** With a task axis: embedding rows for tables in `wrt`. */
  readonly rows: Map<number, PendingRows[]>;
  /** The only loss that depends on a tensor, or -1 when several (or, without a task axis, any) do. */
  readonly taskOf: (id: number) => number;
}

/**
 * The reverse pass shared by `gradients` and `taskGradients`. With `lead` = `[tasks]`, slice k
 * of a gradient belongs to loss k. Nodes that only one loss depends on (such as a task's head)
 * are differentiated without the task axis, so they cost what one task's backward pass costs.
 * Their contributions enter the task axis where they reach a tensor several losses share.
 */
function backward(
  graph: GraphBuilder,
  operation: string,
  losses: readonly GraphTensor[],
  wrt: readonly GraphTensor[],
  lead: readonly number[],
): Accumulated {
  // Nodes on a path from some wrt tensor to some loss, in creation (topological) order.
  const wrtIds = new Set<number>(wrt.map((x) => x.id));
  const dependsOnWrt = new Set<number>(wrtIds);
  for (const node of graph.nodes) {
    if (node.inputs.some((x) => dependsOnWrt.has(x.id))) for (const out of node.outputs) dependsOnWrt.add(out.id);
  }
  const neededByLoss = new Set<number>(losses.map((x) => x.id));
  const path: GraphNode[] = [];
  for (let n = graph.nodes.length - 1; n >= 0; n--) {
    const node = graph.nodes[n];
    if (!node.outputs.some((x) => neededByLoss.has(x.id))) continue;
    for (const x of node.inputs) neededByLoss.add(x.id);
    if (node.outputs.some((x) => dependsOnWrt.has(x.id))) path.push(node);
  }

  // Bit mask of the losses that depend on each tensor, needed only with a task axis.
  const owners = new Map<number, number>();
  if (lead.length > 0) {
    losses.forEach((loss, k) => owners.set(loss.id, (owners.get(loss.id) ?? 0) | (1 << k)));
    for (const node of path) {
      const mask = node.outputs.reduce((m, x) => m | (owners.get(x.id) ?? 0), 0);
      for (const x of node.inputs) owners.set(x.id, (owners.get(x.id) ?? 0) | mask);
    }
  }
  const taskOf = (id: number): number => {
    const mask = owners.get(id) ?? 0;
    return mask !== 0 && (mask & (mask - 1)) === 0 ? Math.log2(mask) : -1;
  };

  const dense = new Map<number, GraphTensor>();
  const single = new Map<number, GraphTensor>();
  const slices = new Map<number, Map<number, GraphTensor>>();
  const rows = new Map<number, PendingRows[]>();
  const add = (map: Map<number, GraphTensor>, id: number, g: GraphTensor) => {
    const previous = map.get(id);
    map.set(id, previous === undefined ? g : graph.node('Add', [previous, g]));
  };
  losses.forEach((loss, k) => {
    if (lead.length === 0) add(dense, loss.id, graph.floatConstant([1]));
    else if (taskOf(loss.id) === k) add(single, loss.id, graph.floatConstant([1]));
    else add(dense, loss.id, graph.floatConstant(Array.from({ length: lead[0] }, (_, j) => (j === k ? 1 : 0)), lead));
  });

  /** Builds the gradient of a shared tensor with the task axis from every contribution collected. */
  const withTaskAxis = (x: GraphTensor): GraphTensor | undefined => {
    const perTask = slices.get(x.id);
    let result = dense.get(x.id);
    if (perTask !== undefined) {
      const parts = Array.from({ length: lead[0] }, (_, k) => {
        const slice = perTask.get(k);
        return slice === undefined ? zeros(graph, [1, ...x.shape]) : reshape(graph, slice, [1, ...x.shape]);
      });
      const stacked = graph.node('Concat', parts, { axis: attr.int(0) });
      result = result === undefined ? stacked : graph.node('Add', [result, stacked]);
    }
    return result;
  };

  for (const node of path) {
    const output = node.outputs[0];
    if (output.dtype !== 'float32') continue;
    const task = taskOf(output.id);
    const nodeLead = task >= 0 ? [] : lead;
    let gradient: GraphTensor | undefined;
    if (task >= 0) gradient = single.get(output.id);
    else if (lead.length === 0) gradient = dense.get(output.id);
    else gradient = withTaskAxis(output);
    if (gradient === undefined) continue;
    if (node.outputs.length !== 1) {
      throw new InvalidArgumentError(operation, `operator ${node.opType} (node "${node.name}") has several outputs and no gradient rule.`);
    }

    // A Gather that reads a wrt tensor directly keeps its rows apart, so the table's gradient
    // becomes a scatter-add of batch rows instead of a dense tensor per task.
    const table = node.inputs[0];
    if (node.opType === 'Gather' && nodeLead.length > 0 && wrtIds.has(table.id) && (node.attributes.axis?.value ?? 0) === 0) {
      const ids = node.inputs[1];
      const count = ids.shape.reduce((a, b) => a * b, 1);
      const indices = graph.node('Reshape', [ids, graph.intConstant([count, 1])]);
      const updates = graph.node('Reshape', [gradient, graph.intConstant([...nodeLead, count, ...table.shape.slice(1)])]);
      rows.set(table.id, [...(rows.get(table.id) ?? []), { indices, updates }]);
      continue;
    }

    const rule = RULES[node.opType];
    if (rule === undefined) {
      throw new InvalidArgumentError(
        operation,
        `operator ${node.opType} (node "${node.name}") has no gradient rule; differentiable operators are ${differentiableOperators().join(', ')}.`,
      );
    }
    const inputGradients = rule(graph, node, gradient, nodeLead);
    node.inputs.forEach((input, n) => {
      const g = inputGradients[n];
      if (g === null || g === undefined || !dependsOnWrt.has(input.id)) return;
      const expected = [...nodeLead, ...input.shape];
      if (!shapesEqual(g.shape, expected)) {
        throw new InvalidArgumentError(operation, `gradient rule of ${node.opType} gave shape ${formatShape(g.shape)} for input ${n}, expected ${formatShape(expected)}.`);
      }
      if (task < 0) add(dense, input.id, g);
      else if (taskOf(input.id) === task) add(single, input.id, g);
      else {
        const perTask = slices.get(input.id) ?? new Map<number, GraphTensor>();
        slices.set(input.id, perTask);
        add(perTask, task, g);
      }
    });
  }
  return { dense, single, slices, rows, taskOf: lead.length === 0 ? () => -1 : taskOf };
}

/**
 * Sums `gradient` over broadcast axes so that it has `shape` again. The first `leadCount` axes
 * (the task axis) are kept; the rest align from the right, as in numpy broadcasting.
 */
export function unbroadcast(graph: GraphBuilder, gradient: GraphTensor, shape: readonly number[], leadCount = 0): GraphTensor {
  if (shapesEqual(gradient.shape, shape)) return gradient;
  const rank = gradient.shape.length;
  const offset = rank - shape.length;
  const axes: number[] = [];
  for (let i = leadCount; i < rank; i++) {
    const inner = i - offset;
    if (inner < leadCount || (shape[inner] === 1 && gradient.shape[i] !== 1)) axes.push(i);
  }
  let reduced = gradient;
  if (axes.length > 0) reduced = graph.node('ReduceSum', [gradient, graph.intConstant(axes)], { keepdims: attr.int(1) });
  return shapesEqual(reduced.shape, shape) ? reduced : reshape(graph, reduced, shape);
}

function reshape(graph: GraphBuilder, x: GraphTensor, shape: readonly number[]): GraphTensor {
  if (shapesEqual(x.shape, shape)) return x;
  return graph.node('Reshape', [x, graph.intConstant(shape)]);
}

function mul(graph: GraphBuilder, a: GraphTensor, b: GraphTensor): GraphTensor {
  return graph.node('Mul', [a, b]);
}

function greaterThanZero(graph: GraphBuilder, x: GraphTensor): GraphTensor {
  return graph.node('Greater', [x, graph.floatConstant([0])]);
}

const RULES: Record<string, GradientRule> = {
  Identity: (_graph, _node, g) => [g],
  Add: (graph, node, g, lead) => [unbroadcast(graph, g, [...lead, ...node.inputs[0].shape], lead.length), unbroadcast(graph, g, [...lead, ...node.inputs[1].shape], lead.length)],
  Sub: (graph, node, g, lead) => [
    unbroadcast(graph, g, [...lead, ...node.inputs[0].shape], lead.length),
    unbroadcast(graph, graph.node('Neg', [g]), [...lead, ...node.inputs[1].shape], lead.length),
  ],
  Mul: (graph, node, g, lead) => {
    const [a, b] = node.inputs;
    return [unbroadcast(graph, mul(graph, g, b), [...lead, ...a.shape], lead.length), unbroadcast(graph, mul(graph, g, a), [...lead, ...b.shape], lead.length)];
  },
  Div: (graph, node, g, lead) => {
    const [a, b] = node.inputs;
    const out = node.outputs[0];
    const ga = graph.node('Div', [g, b]);
    // d(a/b)/db = -(a/b)/b, written with the output so no extra product of a is needed.
    const gb = graph.node('Neg', [graph.node('Div', [mul(graph, g, out), b])]);
    return [unbroadcast(graph, ga, [...lead, ...a.shape], lead.length), unbroadcast(graph, gb, [...lead, ...b.shape], lead.length)];
  },
  Neg: (graph, _node, g) => [graph.node('Neg', [g])],
  Abs: (graph, node, g) => [mul(graph, g, graph.node('Sign', [node.inputs[0]]))],
  Exp: (graph, node, g) => [mul(graph, g, node.outputs[0])],
  Log: (graph, node, g) => [graph.node('Div', [g, node.inputs[0]])],
  Sqrt: (graph, node, g) => [graph.node('Div', [mul(graph, g, graph.floatConstant([0.5])), node.outputs[0]])],
  Relu: (graph, node, g) => [graph.node('Where', [greaterThanZero(graph, node.inputs[0]), g, graph.floatConstant([0])])],
  Sigmoid: (graph, node, g) => {
    const y = node.outputs[0];
    const slope = mul(graph, y, graph.node('Sub', [graph.floatConstant([1]), y]));
    return [mul(graph, g, slope)];
  },
  Softplus: (graph, node, g) => [mul(graph, g, graph.node('Sigmoid', [node.inputs[0]]))],
  Where: (graph, node, g, lead) => {
    const [condition, a, b] = node.inputs;
    const zero = graph.floatConstant([0]);
    return [
      null,
      unbroadcast(graph, graph.node('Where', [condition, g, zero]), [...lead, ...a.shape], lead.length),
      unbroadcast(graph, graph.node('Where', [condition, zero, g]), [...lead, ...b.shape], lead.length),
    ];
  },
  MatMul: (graph, node, g, lead) => {
    const [a, b] = node.inputs;
    if (a.shape.length !== 2 || b.shape.length !== 2) {
      throw new InvalidArgumentError('gradients', `MatMul node "${node.name}" has inputs of rank other than 2, which have no gradient rule.`);
    }
    if (lead.length === 0) {
      return [graph.node('Gemm', [g, b], { transB: attr.int(1) }), graph.node('Gemm', [a, g], { transA: attr.int(1) })];
    }
    return [graph.node('MatMul', [g, transpose2d(graph, b)]), graph.node('MatMul', [transpose2d(graph, a), g])];
  },
  Gemm: (graph, node, g, lead) => {
    const [a, b, c] = node.inputs;
    for (const name of ['alpha', 'beta']) {
      const value = node.attributes[name];
      if (value !== undefined && !(value.kind === 'float' && value.value === 1)) {
        throw new InvalidArgumentError('gradients', `Gemm node "${node.name}" has ${name} other than 1, which has no gradient rule.`);
      }
    }
    const transA = node.attributes.transA?.value === 1;
    const transB = node.attributes.transB?.value === 1;
    const gc = c === undefined ? null : unbroadcast(graph, g, [...lead, ...c.shape], lead.length);
    if (lead.length > 0) return [...batchedGemmGradients(graph, a, b, g, transA, transB), gc];

    // Y = op(A) op(B) + C, so d op(A) = G op(B)^T and d op(B) = op(A)^T G.
    const ga = transA
      ? graph.node('Gemm', [b, g], { transA: attr.int(transB ? 1 : 0), transB: attr.int(1) })
      : graph.node('Gemm', [g, b], { transB: attr.int(transB ? 0 : 1) });
    const gb = transB
      ? graph.node('Gemm', [g, a], { transA: attr.int(1), transB: attr.int(transA ? 1 : 0) })
      : graph.node('Gemm', [a, g], { transA: attr.int(transA ? 0 : 1) });
    return [ga, gb, gc];
  },
  Gather: (graph, node, g, lead) => {
    const [table, ids] = node.inputs;
    const axis = node.attributes.axis?.value ?? 0;
    if (axis !== 0) throw new InvalidArgumentError('gradients', `Gather node "${node.name}" has axis ${axis}, but only axis 0 has a gradient rule.`);
    if (lead.length === 0) {
      // Scatter-add into zeros of the table's shape, so rows looked up several times add up.
      const indices = graph.node('Unsqueeze', [ids, graph.intConstant([-1])]);
      return [graph.node('ScatterND', [zeros(graph, table.shape), indices, g], { reduction: attr.string('add') }), null];
    }
    // With a task axis, index pairs (task, id) scatter every task's rows into its own slice.
    const tasks = lead[0];
    const idShape = ids.shape;
    const pairShape = [tasks, ...idShape, 1];
    const taskIndex = graph.node('Expand', [
      graph.intConstant(Array.from({ length: tasks }, (_, k) => k), [tasks, ...idShape.map(() => 1), 1]),
      graph.intConstant(pairShape),
    ]);
    const idIndex = graph.node('Expand', [graph.node('Unsqueeze', [ids, graph.intConstant([0, -1])]), graph.intConstant(pairShape)]);
    const indices = graph.node('Concat', [taskIndex, idIndex], { axis: attr.int(-1) });
    return [graph.node('ScatterND', [zeros(graph, [tasks, ...table.shape]), indices, g], { reduction: attr.string('add') }), null];
  },
  Concat: (graph, node, g, lead) => {
    const rank = node.outputs[0].shape.length;
    const rawAxis = Number(node.attributes.axis?.value ?? 0);
    const axis = (rawAxis < 0 ? rawAxis + rank : rawAxis) + lead.length;
    let start = 0;
    return node.inputs.map((input) => {
      const end = start + input.shape[axis - lead.length];
      const slice = graph.node('Slice', [g, graph.intConstant([start]), graph.intConstant([end]), graph.intConstant([axis])]);
      start = end;
      return slice;
    });
  },
  Reshape: (graph, node, g, lead) => [reshape(graph, g, [...lead, ...node.inputs[0].shape]), null],
  Unsqueeze: (graph, node, g, lead) => [reshape(graph, g, [...lead, ...node.inputs[0].shape]), null],
  Transpose: (graph, node, g, lead) => {
    const rank = node.inputs[0].shape.length;
    const perm = (node.attributes.perm?.value as readonly number[] | undefined) ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    const leadAxes = lead.map((_, i) => i);
    return [graph.node('Transpose', [g], { perm: attr.ints([...leadAxes, ...inverse.map((p) => p + lead.length)]) })];
  },
  ReduceSum: (graph, node, g, lead) => [expandReduced(graph, node, g, lead), null],
  ReduceMean: (graph, node, g, lead) => {
    const input = node.inputs[0];
    const count = input.shape.reduce((a, b) => a * b, 1) / Math.max(1, node.outputs[0].shape.reduce((a, b) => a * b, 1));
    return [mul(graph, expandReduced(graph, node, g, lead), graph.floatConstant([1 / count])), null];
  },
};

/** Transposes a matrix. The transpose of a transpose is its input, with no node added. */
function transpose2d(graph: GraphBuilder, x: GraphTensor): GraphTensor {
  const producer = x.producer;
  const perm = producer?.attributes.perm;
  if (producer?.opType === 'Transpose' && perm?.kind === 'ints' && perm.value.length === 2 && perm.value[0] === 1) return producer.inputs[0];
  return graph.node('Transpose', [x], { perm: attr.ints([1, 0]) });
}

/**
 * Gradients of `Y = op(A) op(B) + C` for a gradient G with a leading task axis: products with
 * G [tasks, m, n] on the left run as one matrix product over all tasks' rows.
 */
function batchedGemmGradients(graph: GraphBuilder, a: GraphTensor, b: GraphTensor, g: GraphTensor, transA: boolean, transB: boolean): GraphTensor[] {
  const gT = graph.node('Transpose', [g], { perm: attr.ints([0, 2, 1]) });
  const opA = transA ? transpose2d(graph, a) : a;
  const opB = transB ? transpose2d(graph, b) : b;
  // d op(A) = G op(B)^T and d op(B) = op(A)^T G. A transposed operand takes the transposed result.
  const ga = transA ? graph.node('MatMul', [opB, gT]) : graph.node('MatMul', [g, transpose2d(graph, opB)]);
  const gb = transB ? graph.node('MatMul', [gT, opA]) : graph.node('MatMul', [transpose2d(graph, opA), g]);
  return [ga, gb];
}

/** Broadcasts the gradient of a Reduce output back over the reduced axes. */
function expandReduced(graph: GraphBuilder, node: GraphNode, g: GraphTensor, lead: readonly number[]): GraphTensor {
  const input = node.inputs[0];
  const rank = input.shape.length;
  const axesTensor = node.inputs[1];
  const axes = axesTensor === undefined ? input.shape.map((_, i) => i) : Array.from(axesTensor.constant!.values as BigInt64Array, (a) => (Number(a) + rank) % rank);
  const keptShape = input.shape.map((dim, i) => (axes.includes(i) ? 1 : dim));
  return graph.node('Expand', [reshape(graph, g, [...lead, ...keptShape]), graph.intConstant([...lead, ...input.shape])]);
}
