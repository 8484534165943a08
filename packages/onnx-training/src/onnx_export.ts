import { InvalidArgumentError } from '@mb/core';
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';

import { OPSET_VERSION } from './graph.js';
import { packScalars } from './scalar_packing.js';
import type { AttributeValue, ConstantValue, DataType, GraphBuilder, GraphNode, GraphTensor } from './graph.js';

const proto = onnxProto.onnx;

const ELEMENT_TYPES: Record<DataType, number> = { float32: 1, int64: 7, bool: 9 };

/** IR version 8 is the first that allows opset 18. */
const IR_VERSION = 8;

/**
 * Serializes the graph to ONNX `ModelProto` bytes. Only the nodes that some output depends on
 * are written, so unused branches of a traced computation cost nothing at run time.
 */
export function serializeModel(graph: GraphBuilder, graphName = 'mb_graph', options: SerializeOptions = {}): Uint8Array {
  if (graph.outputs.length === 0) {
    throw new InvalidArgumentError('serializeModel', 'the graph has no outputs; call output() first.');
  }
  let replacements = new Map<number, GraphTensor>();
  if (options.packScalars === true) replacements = packScalars(graph, liveNodes(graph));
  const resolve = (x: GraphTensor) => replacements.get(x.id) ?? x;

  const nodes = liveNodes(graph, replacements);
  const usedInitializers = new Set<number>();
  for (const node of nodes) for (const x of node.inputs) usedInitializers.add(resolve(x).id);

  // A node output that is a graph output once is written under the output name, so no copy is
  // made. Outputs that are inputs, initializers or repeated get an Identity node, because ONNX
  // output names must be produced by a node or be graph inputs.
  const renamed = new Map<number, string>();
  const outputNodes: onnx.INodeProto[] = [];
  for (const { name, tensor: original } of graph.outputs) {
    const tensor = resolve(original);
    if (tensor.producer !== undefined && !renamed.has(tensor.id)) {
      renamed.set(tensor.id, name);
    } else {
      usedInitializers.add(tensor.id);
      outputNodes.push({ opType: 'Identity', name: `output_${name}`, input: [renamed.get(tensor.id) ?? tensor.name], output: [name] });
    }
  }
  const nameOf = (x: GraphTensor) => {
    const resolved = resolve(x);
    return renamed.get(resolved.id) ?? resolved.name;
  };
  const outputs = graph.outputs.map(({ name, tensor }) => valueInfo(name, tensor));

  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: '@mb/onnx-training',
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    graph: {
      name: graphName,
      input: graph.inputs.map((x) => valueInfo(x.name, x)),
      initializer: graph.initializers.filter((x) => usedInitializers.has(x.id)).map((x) => tensorProto(x.name, x.constant!)),
      node: [...nodes.map((node) => nodeProto(node, nameOf)), ...outputNodes],
      output: outputs,
    },
  };
  return proto.ModelProto.encode(proto.ModelProto.create(model)).finish();
}

/** Options of `serializeModel`. */
export interface SerializeOptions {
  /** Pack isomorphic rank-0 operations into vector operations (see `packScalars`). Default false. */
  readonly packScalars?: boolean;
}

/**
 * Returns the nodes that an output depends on, in topological order, reading each node input
 * through `replacements` (tensor id to the tensor that takes its place).
 */
export function liveNodes(graph: GraphBuilder, replacements: ReadonlyMap<number, GraphTensor> = new Map()): GraphNode[] {
  const order: GraphNode[] = [];
  const state = new Map<number, 'open' | 'done'>();
  // Iterative depth-first search, emitting each node after every producer of its inputs.
  const stack: { node: GraphNode; next: number }[] = [];
  const visit = (tensor: GraphTensor) => {
    const node = (replacements.get(tensor.id) ?? tensor).producer;
    if (node !== undefined && !state.has(node.id)) {
      state.set(node.id, 'open');
      stack.push({ node, next: 0 });
    }
  };
  for (const { tensor } of graph.outputs) {
    visit(tensor);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.inputs.length) {
        visit(top.node.inputs[top.next++]);
      } else {
        stack.pop();
        state.set(top.node.id, 'done');
        order.push(top.node);
      }
    }
  }
  return order;
}

function valueInfo(name: string, tensor: GraphTensor): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPES[tensor.dtype],
        shape: { dim: tensor.shape.map((dim) => ({ dimValue: dim })) },
      },
    },
  };
}

function tensorProto(name: string, value: ConstantValue): onnx.ITensorProto {
  const bytes = value.values.buffer.slice(value.values.byteOffset, value.values.byteOffset + value.values.byteLength);
  return {
    name,
    dataType: ELEMENT_TYPES[value.dtype],
    dims: [...value.shape],
    rawData: new Uint8Array(bytes),
  };
}

function nodeProto(node: GraphNode, nameOf: (x: GraphTensor) => string): onnx.INodeProto {
  return {
    name: node.name,
    opType: node.opType,
    input: node.inputs.map(nameOf),
    output: node.outputs.map(nameOf),
    attribute: Object.entries(node.attributes).map(([name, value]) => attributeProto(name, value)),
  };
}

function attributeProto(name: string, value: AttributeValue): onnx.IAttributeProto {
  const types = proto.AttributeProto.AttributeType;
  switch (value.kind) {
    case 'int':
      return { name, type: types.INT, i: value.value };
    case 'ints':
      return { name, type: types.INTS, ints: [...value.value] };
    case 'float':
      return { name, type: types.FLOAT, f: value.value };
    case 'string':
      return { name, type: types.STRING, s: new TextEncoder().encode(value.value) };
    case 'tensor':
      return { name, type: types.TENSOR, t: tensorProto('', value.value) };
  }
}
