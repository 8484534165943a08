import { hostTensor } from '@mb/core';
import { describe, expect, it } from 'vitest';

import { GraphBuilder, attr } from './graph.js';
import { liveNodes, serializeModel } from './onnx_export.js';
import { createSession, floatTensor, int64Tensor } from './session.js';

describe('GraphBuilder shape inference', () => {
  it('infers broadcast, Gemm, Gather and Concat shapes', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', [5, 3]);
    const w = graph.input('w', [4, 3]);
    const b = graph.input('b', [4]);
    const table = graph.input('table', [10, 2]);
    const ids = graph.input('ids', [5], 'int64');
    expect(graph.node('Add', [x, graph.input('row', [3])]).shape).toEqual([5, 3]);
    expect(graph.node('Gemm', [x, w, b], { transB: attr.int(1) }).shape).toEqual([5, 4]);
    const rows = graph.node('Gather', [table, ids], { axis: attr.int(0) });
    expect(rows.shape).toEqual([5, 2]);
    expect(graph.node('Concat', [x, rows], { axis: attr.int(1) }).shape).toEqual([5, 5]);
    expect(graph.node('ReduceSum', [x, graph.intConstant([0])], { keepdims: attr.int(0) }).shape).toEqual([3]);
    expect(graph.node('Greater', [x, graph.floatConstant([0])]).dtype).toBe('bool');
  });

  it('names the node and the input on a shape mismatch', () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', [2, 3]);
    const b = graph.input('b', [4, 5]);
    expect(() => graph.node('MatMul', [a, b])).toThrow(/MatMul node "MatMul_\d+": input 0 \("a"\) \[2,3\] and input 1 \("b"\) \[4,5\] have mismatched inner dimensions/);
    expect(() => graph.node('Add', [a, b])).toThrow(/Add node "Add_\d+": input "b" with shape \[4,5\] does not broadcast with shape \[2,3\]/);
  });

  it('names the input with a wrong element type', () => {
    const graph = new GraphBuilder();
    const table = graph.input('table', [4, 2]);
    const ids = graph.input('ids', [3]);
    expect(() => graph.node('Gather', [table, ids])).toThrow(/Gather node "Gather_\d+": input 1 \("ids"\) must be int64, got float32/);
  });

  it('rejects an operator it cannot infer', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', [2]);
    expect(() => graph.node('Conv', [x])).toThrow(/Conv node "Conv_\d+": operator Conv is not supported by the graph builder/);
  });

  it('rejects a duplicate name', () => {
    const graph = new GraphBuilder();
    graph.input('x', [2]);
    expect(() => graph.input('x', [2])).toThrow(/name "x" is already used/);
  });

  it('shares identical nodes and constants', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', [2]);
    expect(graph.floatConstant([2])).toBe(graph.floatConstant([2]));
    expect(graph.node('Mul', [x, graph.floatConstant([2])])).toBe(graph.node('Mul', [x, graph.floatConstant([2])]));
    expect(graph.node('Mul', [x, graph.floatConstant([3])])).not.toBe(graph.node('Mul', [x, graph.floatConstant([2])]));
  });
});

describe('serializeModel', () => {
  it('writes a model onnxruntime runs, without dead nodes', async () => {
    const graph = new GraphBuilder();
    const table = graph.input('table', [4, 2]);
    const ids = graph.input('ids', [3], 'int64');
    const rows = graph.node('Gather', [table, ids], { axis: attr.int(0) });
    graph.node('Exp', [rows]);
    const total = graph.node('ReduceSum', [rows], { keepdims: attr.int(0) });
    const gradient = graph.node('ScatterND', [graph.input('zeros', [4, 2]), graph.node('Unsqueeze', [ids, graph.intConstant([1])]), rows], {
      reduction: attr.string('add'),
    });
    graph.output('total', total);
    graph.output('scattered', gradient);
    graph.output('table_copy', table);
    expect(liveNodes(graph).map((n) => n.opType)).not.toContain('Exp');

    const session = await createSession('test', serializeModel(graph));
    try {
      const result = await session.run({
        table: floatTensor(hostTensor([1, 2, 3, 4, 5, 6, 7, 8], [4, 2])),
        ids: int64Tensor([3, 0, 3]),
        zeros: floatTensor(hostTensor(new Array(8).fill(0), [4, 2])),
      });
      expect((result.total.data as Float32Array)[0]).toBe(7 + 8 + 1 + 2 + 7 + 8);
      // Duplicate id 3 adds up in the scatter.
      expect(Array.from(result.scattered.data as Float32Array)).toEqual([1, 2, 0, 0, 0, 0, 14, 16]);
      expect(Array.from(result.table_copy.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    } finally {
      await session.release();
    }
  });

  it('rejects a graph without outputs', () => {
    expect(() => serializeModel(new GraphBuilder())).toThrow(/the graph has no outputs/);
  });
});
