import { attr } from './graph.js';
import type { GraphBuilder, GraphNode, GraphTensor } from './graph.js';

/** Elementwise operators whose rank-0 applications can run as one operation on a vector. */
const PACKABLE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'Greater', 'Equal', 'And', 'Or', 'Where',
  'Not', 'Neg', 'Abs', 'Sqrt', 'Exp', 'Log', 'Cast',
]);

/** Groups smaller than this stay scalar, because packing adds gather and concat nodes. */
const MIN_GROUP = 4;

/** Location of a packed rank-0 value: lane `lane` of the vector `vector`. */
interface Lane {
  readonly vector: GraphTensor;
  readonly lane: number;
}

/**
 * Packs isomorphic rank-0 elementwise nodes into vector nodes, so that, for example, one moving
 * average update per task and tensor becomes one `Mul` and one `Add` on a vector of all of
 * them. A traced transform records hundreds of such rank-0 nodes, and onnxruntime's cost per
 * node dominates their cost.
 *
 * Nodes are grouped by operator, attributes and depth in the rank-0 subgraph. Each lane computes
 * exactly what its scalar node computed, so results are bit-identical. Returns a map from each
 * packed scalar's tensor id to a rank-0 replacement (a `Gather` of its lane) for consumers that
 * were not packed. `serializeModel` applies it and drops the scalar nodes it makes unused.
 */
export function packScalars(graph: GraphBuilder, nodes: readonly GraphNode[]): Map<number, GraphTensor> {
  const products = maskProducts(graph, nodes);
  const inProduct = new Set(products.flatMap((product) => product.links.map((node) => node.id)));
  const candidates = nodes.filter(
    (node) =>
      PACKABLE.has(node.opType) &&
      !inProduct.has(node.id) &&
      node.outputs.length === 1 &&
      node.outputs[0].shape.length === 0 &&
      node.inputs.every((x) => x.shape.length === 0),
  );
  const candidateIds = new Set(candidates.map((node) => node.id));

  // Depth of a candidate: 1 + the deepest candidate it depends on, through any nodes. Lanes of
  // one group then never depend on each other, so a packed node never feeds itself.
  const depth = new Map<number, number>();
  const deepestAncestor = new Map<number, number>();
  for (const node of nodes) {
    let deepest = 0;
    for (const x of node.inputs) if (x.producer !== undefined) deepest = Math.max(deepest, deepestAncestor.get(x.producer.id) ?? 0);
    if (candidateIds.has(node.id)) {
      depth.set(node.id, deepest + 1);
      deepest += 1;
    }
    deepestAncestor.set(node.id, deepest);
  }

  const groups = new Map<string, GraphNode[]>();
  for (const node of candidates) {
    const attributes = JSON.stringify(Object.entries(node.attributes).map(([k, v]) => [k, v.kind === 'tensor' ? null : v.value]));
    const key = `${depth.get(node.id)}|${node.opType}|${attributes}|${node.inputs.length}|${node.outputs[0].dtype}`;
    groups.set(key, [...(groups.get(key) ?? []), node]);
  }

  const lanes = new Map<number, Lane>();
  const ordered = [...groups.values()].filter((group) => group.length >= MIN_GROUP).sort((a, b) => depth.get(a[0].id)! - depth.get(b[0].id)!);
  for (const group of ordered) {
    const inputs = group[0].inputs.map((_, i) => packInput(graph, group.map((node) => node.inputs[i]), lanes));
    const vector = graph.node(group[0].opType, inputs, { ...group[0].attributes });
    group.forEach((node, lane) => lanes.set(node.outputs[0].id, { vector, lane }));
  }

  const replacements = new Map<number, GraphTensor>();
  for (const [id, { vector, lane }] of lanes) {
    replacements.set(id, graph.node('Gather', [vector, laneIndex(graph, lane)], { axis: attr.int(0) }));
  }
  // Each product of masks becomes one ReduceProd over its factors, gathered from their vectors.
  for (const product of products) {
    const vector = gatherLanes(graph, product.factors, lanes, false);
    replacements.set(product.result.id, graph.node('ReduceProd', [vector], { keepdims: attr.int(0) }));
  }
  return replacements;
}

/** A chain of rank-0 `Mul` nodes: its links, the factors it multiplies and its result. */
interface MaskProduct {
  readonly links: readonly GraphNode[];
  readonly factors: readonly GraphTensor[];
  readonly result: GraphTensor;
}

/**
 * Finds each chain of rank-0 `Mul` nodes whose factors are all 0/1 masks, such as the running
 * product of `allFinite` checks. `packScalars` replaces it by one `ReduceProd` over a vector of
 * the factors, which is exact because a product of 0s and 1s does not depend on the order.
 */
function maskProducts(graph: GraphBuilder, nodes: readonly GraphNode[]): MaskProduct[] {
  const consumers = new Map<number, GraphNode[]>();
  for (const node of nodes) for (const x of node.inputs) consumers.set(x.id, [...(consumers.get(x.id) ?? []), node]);
  const outputIds = new Set(graph.outputs.map((o) => o.tensor.id));
  const isChainMul = (node: GraphNode | undefined): node is GraphNode =>
    node !== undefined && node.opType === 'Mul' && node.outputs[0].shape.length === 0 && node.inputs.every((x) => x.shape.length === 0);
  // An inner link feeds exactly one other chain Mul and nothing else.
  const isInnerLink = (x: GraphTensor) => {
    const users = consumers.get(x.id) ?? [];
    return isChainMul(x.producer) && users.length === 1 && isChainMul(users[0]) && !outputIds.has(x.id);
  };
  const isMask = (x: GraphTensor): boolean => {
    if (x.constant !== undefined) return x.dtype === 'float32' && (x.constant.values[0] === 0 || x.constant.values[0] === 1);
    return x.producer?.opType === 'Cast' && x.producer.inputs[0].dtype === 'bool';
  };

  const products: MaskProduct[] = [];
  for (const node of nodes) {
    if (!isChainMul(node) || isInnerLink(node.outputs[0])) continue;
    const factors: GraphTensor[] = [];
    const links: GraphNode[] = [];
    const stack = [node];
    while (stack.length > 0) {
      const link = stack.pop()!;
      links.push(link);
      for (const x of link.inputs) {
        if (isInnerLink(x)) stack.push(x.producer!);
        else factors.push(x);
      }
    }
    if (factors.length >= 2 * MIN_GROUP && factors.every(isMask)) products.push({ links, factors, result: node.outputs[0] });
  }
  return products;
}

/**
 * Builds a vector of rank-0 values: one `Gather` per packed vector they come from and one
 * `Reshape` per other value, concatenated. With `keepOrder`, a final `Gather` restores the
 * order of `scalars`; without it the order is unspecified.
 */
function gatherLanes(graph: GraphBuilder, scalars: readonly GraphTensor[], lanes: ReadonlyMap<number, Lane>, keepOrder: boolean): GraphTensor {
  const bySource = new Map<GraphTensor | undefined, number[]>();
  scalars.forEach((x, n) => {
    const source = lanes.get(x.id)?.vector;
    bySource.set(source, [...(bySource.get(source) ?? []), n]);
  });
  const parts: GraphTensor[] = [];
  const order: number[] = [];
  const one = graph.intConstant([1]);
  for (const [source, positions] of bySource) {
    if (source === undefined) {
      for (const n of positions) parts.push(graph.node('Reshape', [scalars[n], one]));
    } else {
      const indices = positions.map((n) => lanes.get(scalars[n].id)!.lane);
      parts.push(graph.node('Gather', [source, graph.intConstant(indices)], { axis: attr.int(0) }));
    }
    order.push(...positions);
  }
  const joined = parts.length === 1 ? parts[0] : graph.node('Concat', parts, { axis: attr.int(0) });
  if (!keepOrder || order.every((position, n) => position === n)) return joined;
  // order[m] is the position of part element m, and the inverse puts each value back in place.
  const inverse = new Array<number>(order.length);
  order.forEach((position, m) => (inverse[position] = m));
  return graph.node('Gather', [joined, graph.intConstant(inverse)], { axis: attr.int(0) });
}

function laneIndex(graph: GraphBuilder, lane: number): GraphTensor {
  return graph.constant({ dtype: 'int64', shape: [], values: new BigInt64Array([BigInt(lane)]) });
}

/** Builds one vector input of a packed node from the rank-0 inputs of its lanes. */
function packInput(graph: GraphBuilder, scalars: readonly GraphTensor[], lanes: ReadonlyMap<number, Lane>): GraphTensor {
  // The same tensor in every lane broadcasts as it is.
  if (scalars.every((x) => x === scalars[0])) return scalars[0];

  // Constants become one vector constant.
  if (scalars.every((x) => x.constant !== undefined)) {
    const dtype = scalars[0].dtype;
    if (scalars.every((x) => x.dtype === dtype)) {
      const values = scalars.map((x) => x.constant!.values[0]);
      if (dtype === 'float32') return graph.constant({ dtype, shape: [values.length], values: Float32Array.from(values as number[]) });
      if (dtype === 'int64') return graph.constant({ dtype, shape: [values.length], values: BigInt64Array.from(values as bigint[]) });
      return graph.constant({ dtype, shape: [values.length], values: Uint8Array.from(values as number[]) });
    }
  }

  // Lanes of one packed vector: the vector itself, or a gather of the lanes in order.
  const sources = scalars.map((x) => lanes.get(x.id));
  const first = sources[0];
  if (first !== undefined && sources.every((s) => s !== undefined && s.vector === first.vector)) {
    const indices = sources.map((s) => s!.lane);
    if (indices.every((lane, n) => lane === n) && first.vector.shape[0] === indices.length) return first.vector;
    return graph.node('Gather', [first.vector, graph.intConstant(indices)], { axis: attr.int(0) });
  }

  // Anything else: gathered per source vector and concatenated, in lane order.
  return gatherLanes(graph, scalars, lanes, true);
}
