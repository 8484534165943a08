import { metaBalance, referenceOps } from '@mb/core';
import onnxProto from 'onnx-proto';
import type ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { GraphBuilder } from './graph.js';
import { GraphOps } from './graph_ops.js';
import { serializeModel } from './onnx_export.js';
import { createSession, floatTensor } from './session.js';

const TASKS = 3;
const SHAPES = [[4], [2, 3], [5], [3], [2, 2]];

/** Traces MetaBalance for 3 tasks and 5 tensors: hundreds of rank-0 nodes and a mask product. */
function tracedGraph(): GraphBuilder {
  const graph = new GraphBuilder();
  const ops = new GraphOps(graph);
  const transform = metaBalance();
  const initial = transform.init(referenceOps, { tasks: TASKS, sharedShapes: SHAPES });
  const taskGradients = Array.from({ length: TASKS }, (_, k) => SHAPES.map((shape, j) => graph.input(`g/${k}/${j}`, shape)));
  const keys = Object.keys(initial.tensors).sort();
  const state = Object.fromEntries(keys.map((key) => [key, graph.input(`state/${key}`, [])]));
  const result = transform.update(ops, { taskGradients }, { ...initial, tensors: state });
  result.combined.forEach((g, j) => graph.output(`combined/${j}`, g));
  keys.forEach((key) => graph.output(`next/${key}`, result.state.tensors[key]));
  result.taskWeights.forEach((weights, k) => weights.forEach((w, j) => graph.output(`weight/${k}/${j}`, w)));
  graph.output('finite', result.finite);
  return graph;
}

function feeds(poison: boolean): Record<string, ort.Tensor> {
  const result: Record<string, ort.Tensor> = {};
  for (let k = 0; k < TASKS; k++) {
    SHAPES.forEach((shape, j) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: size }, (_, i) => Math.sin(k * 31 + j * 7 + i) * (k + 1));
      if (poison && k === 2 && j === 3) values[1] = Number.NaN;
      result[`g/${k}/${j}`] = floatTensor({ shape, values });
    });
  }
  for (let k = 0; k < TASKS; k++) {
    for (let j = 0; j < SHAPES.length; j++) result[`state/movingAverageNorm/${k}/${j}`] = floatTensor({ shape: [], values: Float32Array.from([0.1 * (k + j)]) });
  }
  return result;
}

describe('packScalars', () => {
  for (const poison of [false, true]) {
    it(`gives bit-identical outputs${poison ? ' with a NaN gradient' : ''}`, async () => {
      const graph = tracedGraph();
      const plain = serializeModel(graph, 'plain');
      const packed = serializeModel(graph, 'packed', { packScalars: true });
      const nodeCount = (bytes: Uint8Array) => onnxProto.onnx.ModelProto.decode(bytes).graph!.node!.length;
      expect(nodeCount(packed)).toBeLessThan(nodeCount(plain) * 0.8);

      const [a, b] = await Promise.all([createSession('test', plain, { intraOpThreads: 1 }), createSession('test', packed, { intraOpThreads: 1 })]);
      try {
        const input = feeds(poison);
        const [expected, actual] = [await a.run(input), await b.run(input)];
        expect((actual.finite.data as Float32Array)[0]).toBe(poison ? 0 : 1);
        for (const name of Object.keys(expected)) {
          expect(actual[name].dims, name).toEqual(expected[name].dims);
          expect(Array.from(actual[name].data as Float32Array), name).toEqual(Array.from(expected[name].data as Float32Array));
        }
      } finally {
        await a.release();
        await b.release();
      }
    });
  }
});
