import { InvalidArgumentError, formatShape, sizeFromShape } from '@mb/core';

import { inferNode } from './shape_inference.js';

/** Element types the builder handles. ONNX codes: float 1, int64 7, bool 9. */
export type DataType = 'float32' | 'int64' | 'bool';

/** An attribute value: int, ints, float, string, or a tensor (for `ConstantOfShape`). */
export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: ConstantValue };

/** Values of a constant tensor known at build time. */
export interface ConstantValue {
  readonly dtype: DataType;
  readonly shape: readonly number[];
  readonly values: Float32Array | BigInt64Array | Uint8Array;
}

/**
 * A symbolic tensor: one value in a graph under construction, with a static shape and element
 * type. `constant` is set for initializers whose values are fixed when the graph is built (shape
 * arguments, axes, scalars), so that inference can read them.
 */
export interface GraphTensor {
  readonly id: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DataType;
  readonly graph: GraphBuilder;
  readonly constant?: ConstantValue;
  /** The node that computes this tensor, or undefined for graph inputs and initializers. */
  readonly producer?: GraphNode;
}

/** One operator application. */
export interface GraphNode {
  readonly id: number;
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly GraphTensor[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly outputs: readonly GraphTensor[];
}

/** Shape and type of each output, as inference returns them. */
export interface OutputInfo {
  readonly shape: readonly number[];
  readonly dtype: DataType;
}

/** ONNX opset version the builder writes. Opset 18 takes the axes of Reduce operators as an input. */
export const OPSET_VERSION = 18;

/**
 * Builds an ONNX graph with static shapes. Every `node` call infers and checks the output shapes
 * at once, so a mistake fails where it is made, naming the node and the input.
 *
 * Identical nodes (same operator, inputs and attributes) are created once and shared, so
 * several backward passes over one forward pass reuse every common subexpression.
 */
export class GraphBuilder {
  readonly inputs: GraphTensor[] = [];
  readonly initializers: GraphTensor[] = [];
  readonly nodes: GraphNode[] = [];
  readonly outputs: { name: string; tensor: GraphTensor }[] = [];

  private nextId = 0;
  private readonly names = new Set<string>();
  private readonly nodeCache = new Map<string, GraphNode>();
  private readonly constantCache = new Map<string, GraphTensor>();

  /** Declares a graph input. */
  input(name: string, shape: readonly number[], dtype: DataType = 'float32'): GraphTensor {
    checkShape('GraphBuilder.input', name, shape);
    const tensor = this.makeTensor(this.claimName('GraphBuilder.input', name), shape, dtype);
    this.inputs.push(tensor);
    return tensor;
  }

  /**
   * Adds a constant tensor (an initializer). Equal constants are stored once. `name` is optional
   * and only used for the first constant with these values.
   */
  constant(value: ConstantValue, name?: string): GraphTensor {
    checkShape('GraphBuilder.constant', name ?? 'constant', value.shape);
    if (value.values.length !== sizeFromShape(value.shape)) {
      throw new InvalidArgumentError(
        'GraphBuilder.constant',
        `${value.values.length} values do not fill shape ${formatShape(value.shape)}.`,
      );
    }
    const key = `${value.dtype}|${value.shape.join(',')}|${Array.from(value.values as ArrayLike<number | bigint>, String).join(',')}`;
    const cached = this.constantCache.get(key);
    if (cached !== undefined) return cached;

    const tensor = this.makeTensor(this.claimName('GraphBuilder.constant', name ?? `const_${this.nextId}`), value.shape, value.dtype, value);
    this.initializers.push(tensor);
    this.constantCache.set(key, tensor);
    return tensor;
  }

  /** Adds a float32 constant. */
  floatConstant(values: readonly number[] | Float32Array, shape: readonly number[] = []): GraphTensor {
    return this.constant({ dtype: 'float32', shape, values: Float32Array.from(values) });
  }

  /** Adds an int64 constant, for shapes, axes and indices. */
  intConstant(values: readonly number[], shape: readonly number[] = [values.length]): GraphTensor {
    return this.constant({ dtype: 'int64', shape, values: BigInt64Array.from(values.map((v) => BigInt(v))) });
  }

  /**
   * Adds a node with one output and returns that output. Shapes and types are inferred and
   * checked, and an identical existing node is returned instead of a new one.
   */
  node(opType: string, inputs: readonly GraphTensor[], attributes: Record<string, AttributeValue> = {}): GraphTensor {
    return this.multiOutputNode(opType, inputs, attributes, 1)[0];
  }

  /** Adds a node with `outputCount` outputs. */
  multiOutputNode(
    opType: string,
    inputs: readonly GraphTensor[],
    attributes: Record<string, AttributeValue> = {},
    outputCount = 1,
  ): GraphTensor[] {
    for (const input of inputs) {
      if (input.graph !== this) {
        throw new InvalidArgumentError(`${opType} node`, `input "${input.name}" belongs to another graph.`);
      }
    }
    const key = `${opType}|${inputs.map((x) => x.id).join(',')}|${attributeKey(attributes)}|${outputCount}`;
    const cached = this.nodeCache.get(key);
    if (cached !== undefined) return [...cached.outputs];

    const id = this.nextId++;
    const name = this.claimName('GraphBuilder.node', `${opType}_${id}`);
    const infos = inferNode(name, opType, inputs, attributes);
    if (infos.length !== outputCount) {
      throw new InvalidArgumentError(`${opType} node "${name}"`, `inference gave ${infos.length} outputs, expected ${outputCount}.`);
    }
    const outputs: GraphTensor[] = [];
    const node: GraphNode = { id, name, opType, inputs: [...inputs], attributes: { ...attributes }, outputs };
    infos.forEach((info, n) => {
      outputs.push(this.makeTensor(this.claimName('GraphBuilder.node', `${name}_out${n}`), info.shape, info.dtype, undefined, node));
    });
    this.nodes.push(node);
    this.nodeCache.set(key, node);
    return [...outputs];
  }

  /** Marks `tensor` as a graph output under `name`. A tensor may be output under several names. */
  output(name: string, tensor: GraphTensor): void {
    if (tensor.graph !== this) {
      throw new InvalidArgumentError('GraphBuilder.output', `tensor "${tensor.name}" belongs to another graph.`);
    }
    this.claimName('GraphBuilder.output', name);
    this.outputs.push({ name, tensor });
  }

  private claimName(operation: string, name: string): string {
    if (name.length === 0) throw new InvalidArgumentError(operation, 'name must not be empty.');
    if (this.names.has(name)) throw new InvalidArgumentError(operation, `name "${name}" is already used in this graph.`);
    this.names.add(name);
    return name;
  }

  private makeTensor(
    name: string,
    shape: readonly number[],
    dtype: DataType,
    constant?: ConstantValue,
    producer?: GraphNode,
  ): GraphTensor {
    return { id: this.nextId++, name, shape: [...shape], dtype, graph: this, constant, producer };
  }
}

/** Shorthand constructors for attributes. */
export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  tensor: (value: ConstantValue): AttributeValue => ({ kind: 'tensor', value }),
};

function attributeKey(attributes: Record<string, AttributeValue>): string {
  return Object.keys(attributes)
    .sort()
    .map((key) => {
      const a = attributes[key];
      const value = a.kind === 'tensor' ? `${a.value.dtype}:${a.value.shape}:${Array.from(a.value.values as ArrayLike<number | bigint>, String)}` : String(a.value);
      return `${key}=${a.kind}:${value}`;
    })
    .join(';');
}

function checkShape(operation: string, name: string, shape: readonly number[]): void {
  if (!shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
    throw new InvalidArgumentError(operation, `shape of "${name}" must contain non-negative integers, got ${formatShape(shape)}.`);
  }
}
