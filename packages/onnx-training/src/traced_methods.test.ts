import { TRANSFORM_METHODS, createTransform, referenceOps } from '@mb/core';
import type { HostTensor, TransformState } from '@mb/core';
import type ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { GraphBuilder, attr } from './graph.js';
import type { GraphTensor } from './graph.js';
import { GraphOps } from './graph_ops.js';
import { serializeModel } from './onnx_export.js';
import { createSession, floatTensor, int64Tensor } from './session.js';
import { stabilizeTransformState } from './transform_state.js';

const TASKS = 3;
/** A dense [4, 3] tensor, and a [6, 2] table whose gradient is scattered from rows with duplicate ids. */
const DENSE_SHAPE = [4, 3];
const TABLE_SHAPE = [6, 2];
const IDS = [5, 1, 5, 0];

function values(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * (1 + (seed % 3)));
}

/** Dense host gradient of the table: rows added at IDS. */
function scatter(rows: Float32Array): Float32Array {
  const table = new Float32Array(12);
  IDS.forEach((id, n) => {
    table[id * 2] += rows[n * 2];
    table[id * 2 + 1] += rows[n * 2 + 1];
  });
  return table;
}

function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-3));
  return worst;
}

describe('every core method traced into a graph', () => {
  for (const method of TRANSFORM_METHODS) {
    it(`${method} matches the reference backend`, async () => {
      const transform = createTransform(method, {});
      const spec = { tasks: TASKS, sharedShapes: [DENSE_SHAPE, TABLE_SHAPE] };
      let hostState: TransformState<HostTensor> = transform.init(referenceOps, spec);
      const graphInitial = stabilizeTransformState(transform, spec, hostState);

      // Graph: dense gradients and table rows as inputs, the table gradients scattered in-graph
      // so the row-sparse rewrites apply.
      const graph = new GraphBuilder();
      const ops = new GraphOps(graph);
      const ids = graph.input('ids', [IDS.length], 'int64');
      const indices = graph.node('Unsqueeze', [ids, graph.intConstant([1])]);
      const taskGradients: GraphTensor[][] = [];
      for (let k = 0; k < TASKS; k++) {
        const rows = graph.input(`rows/${k}`, [IDS.length, 2]);
        const table = graph.node('ScatterND', [ops.zerosLike(graph.input(`table/${k}`, TABLE_SHAPE)), indices, rows], { reduction: attr.string('add') });
        taskGradients.push([graph.input(`dense/${k}`, DENSE_SHAPE), table]);
      }
      const losses = Array.from({ length: TASKS }, (_, k) => graph.input(`loss/${k}`, []));
      const keys = Object.keys(hostState.tensors).sort();
      const stateInputs = Object.fromEntries(keys.map((key) => [key, graph.input(`state/${key}`, graphInitial.tensors[key].shape)]));
      const traced = transform.update(ops, { taskGradients, losses }, { method: hostState.method, signature: hostState.signature, tensors: stateInputs });
      traced.combined.forEach((g, j) => graph.output(`combined/${j}`, g));
      keys.forEach((key) => graph.output(`next/${key}`, traced.state.tensors[key]));
      const session = await createSession('test', serializeModel(graph, 'traced_methods', { packScalars: true }), { intraOpThreads: 1 });

      try {
        let graphState: Record<string, ort.Tensor> = Object.fromEntries(keys.map((key) => [`state/${key}`, floatTensor(graphInitial.tensors[key])]));
        for (let step = 0; step < 3; step++) {
          const hostGradients: HostTensor[][] = [];
          const hostLosses: HostTensor[] = [];
          const feeds: Record<string, ort.Tensor> = { ...graphState, ids: int64Tensor(IDS) };
          for (let k = 0; k < TASKS; k++) {
            const dense = values(12, 10 * step + k + 1);
            const rows = values(8, 10 * step + k + 50);
            const loss = 0.5 + 0.1 * k + 0.05 * step;
            hostGradients.push([{ shape: DENSE_SHAPE, values: dense }, { shape: TABLE_SHAPE, values: scatter(rows) }]);
            hostLosses.push({ shape: [], values: Float32Array.from([loss]) });
            feeds[`dense/${k}`] = floatTensor({ shape: DENSE_SHAPE, values: dense });
            feeds[`rows/${k}`] = floatTensor({ shape: [IDS.length, 2], values: rows });
            feeds[`table/${k}`] = floatTensor({ shape: TABLE_SHAPE, values: new Float32Array(12) });
            feeds[`loss/${k}`] = floatTensor({ shape: [], values: Float32Array.from([loss]) });
          }
          const expected = transform.update(referenceOps, { taskGradients: hostGradients, losses: hostLosses }, hostState);
          const results = await session.run(feeds);
          expected.combined.forEach((g, j) => {
            expect(scaledError(results[`combined/${j}`].data as Float32Array, g.values), `step ${step} combined ${j}`).toBeLessThanOrEqual(1e-4);
          });
          for (const key of keys) {
            expect(results[`next/${key}`].dims, `step ${step} state ${key} shape`).toEqual(graphInitial.tensors[key].shape);
            expect(scaledError(results[`next/${key}`].data as Float32Array, expected.state.tensors[key].values), `step ${step} state ${key}`).toBeLessThanOrEqual(1e-4);
          }
          hostState = expected.state;
          graphState = Object.fromEntries(keys.map((key) => [`state/${key}`, results[`next/${key}`] as ort.Tensor]));
        }
      } finally {
        await session.release();
      }
    });
  }
});
