import { join } from 'node:path';

import { metaBalance, movingAverageNormKey, referenceOps } from '@mb/core';
import type { GradientTransform, HostTensor, TransformState } from '@mb/core';
import { findSharedDir, goldenTransformCases, readGoldenFile } from '@mb/core/testing';
import type { GoldenTransformCase } from '@mb/core/testing';
import type ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { GraphBuilder, attr } from './graph.js';
import type { GraphTensor } from './graph.js';
import { GraphOps } from './graph_ops.js';
import { serializeModel } from './onnx_export.js';
import { createSession, floatTensor, int64Tensor } from './session.js';

/** Relative tolerance. Values below FLOOR in magnitude are compared with FLOOR * TOLERANCE absolute. */
const TOLERANCE = 1e-5;
const FLOOR = 1e-6;

function scaledError(actual: ArrayLike<number>, expected: readonly number[]): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), FLOOR));
  return worst;
}

/**
 * Traces `transform.update` into a graph whose inputs are the task gradients (`g/<task>/<tensor>`)
 * and the state tensors (`state/<key>`), with the combined gradients and next state as outputs.
 */
async function tracedTransformSession(transform: GradientTransform, tasks: number, shapes: number[][], packScalars = false) {
  const initial: TransformState<HostTensor> = transform.init(referenceOps, { tasks, sharedShapes: shapes });
  const graph = new GraphBuilder();
  const ops = new GraphOps(graph);
  const taskGradients: GraphTensor[][] = [];
  for (let k = 0; k < tasks; k++) taskGradients.push(shapes.map((shape, j) => graph.input(`g/${k}/${j}`, shape)));
  const keys = Object.keys(initial.tensors).sort();
  const stateTensors = Object.fromEntries(keys.map((key) => [key, graph.input(`state/${key}`, initial.tensors[key].shape)]));
  const result = transform.update(ops, { taskGradients }, { method: initial.method, signature: initial.signature, tensors: stateTensors });
  result.combined.forEach((g, j) => graph.output(`combined/${j}`, g));
  for (const key of keys) graph.output(`next/${key}`, result.state.tensors[key]);
  graph.output('finite', result.finite);
  graph.output('weight_1_0', graph.node('Identity', [result.taskWeights[1][0]]));
  const session = await createSession('tracedTransformSession', serializeModel(graph, 'traced_transform', { packScalars }), { intraOpThreads: 1 });
  return { session, initial, keys };
}

const shared = findSharedDir();
if (!shared) console.warn('traced transform golden tests skipped: the shared data folder with the golden reference file was not found.');
const cases: GoldenTransformCase[] = shared ? goldenTransformCases(readGoldenFile(join(shared, 'golden', 'metabalance.json'))) : [];

describe('traced metaBalance against the golden reference', () => {
  it.skipIf(!shared)('golden file has transform cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  for (const golden of cases) {
    it(golden.name, async () => {
      const transform = metaBalance({ relaxFactor: golden.relaxFactor, beta: golden.beta });
      const { session, initial, keys } = await tracedTransformSession(transform, golden.tasks, golden.shapes);
      try {
        let state: Record<string, ort.Tensor> = Object.fromEntries(keys.map((key) => [`state/${key}`, floatTensor(initial.tensors[key])]));
        for (const [n, step] of golden.steps.entries()) {
          const feeds: Record<string, ort.Tensor> = { ...state };
          step.taskGradients.forEach((tensors, k) =>
            tensors.forEach((values, j) => (feeds[`g/${k}/${j}`] = floatTensor({ shape: golden.shapes[j], values: Float32Array.from(values) }))),
          );
          const results = await session.run(feeds);
          expect((results.finite.data as Float32Array)[0]).toBe(1);
          step.combined.forEach((values, j) => {
            expect(scaledError(results[`combined/${j}`].data as Float32Array, values), `step ${n} combined ${j}`).toBeLessThanOrEqual(TOLERANCE);
          });
          step.movingAverageNorms.forEach((norms, k) =>
            norms.forEach((norm, j) => {
              const actual = results[`next/${movingAverageNormKey(k, j)}`].data as Float32Array;
              expect(scaledError(actual, [norm]), `step ${n} moving average ${k}/${j}`).toBeLessThanOrEqual(TOLERANCE);
            }),
          );
          state = Object.fromEntries(keys.map((key) => [`state/${key}`, results[`next/${key}`] as ort.Tensor]));
        }
      } finally {
        await session.release();
      }
    });
  }
});

describe('traced metaBalance on non-finite gradients', () => {
  it('keeps the state and zeroes the combined gradient', async () => {
    const transform = metaBalance();
    const { session } = await tracedTransformSession(transform, 2, [[3]]);
    try {
      const results = await session.run({
        'g/0/0': floatTensor({ shape: [3], values: Float32Array.from([1, NaN, 2]) }),
        'g/1/0': floatTensor({ shape: [3], values: Float32Array.from([1, 1, 1]) }),
        [`state/${movingAverageNormKey(0, 0)}`]: floatTensor({ shape: [], values: Float32Array.from([0.5]) }),
        [`state/${movingAverageNormKey(1, 0)}`]: floatTensor({ shape: [], values: Float32Array.from([0.25]) }),
      });
      expect((results.finite.data as Float32Array)[0]).toBe(0);
      expect(Array.from(results['combined/0'].data as Float32Array)).toEqual([0, 0, 0]);
      expect((results[`next/${movingAverageNormKey(0, 0)}`].data as Float32Array)[0]).toBe(0.5);
      expect((results[`next/${movingAverageNormKey(1, 0)}`].data as Float32Array)[0]).toBe(0.25);
    } finally {
      await session.release();
    }
  });
});

describe('row-sparse rewrites', () => {
  it('match the dense computation with duplicate ids', async () => {
    // The same traced transform runs on a scatter-add tensor (rewritten) and on the same values
    // behind an Identity node (not rewritten), and both must agree.
    const transform = metaBalance();
    const ids = [3, 1, 3, 0, 3];
    const rows = (seed: number) => Float32Array.from({ length: ids.length * 2 }, (_, i) => Math.sin(seed * 7 + i) * (i + 1));
    const graph = new GraphBuilder();
    const ops = new GraphOps(graph);
    const idInput = graph.input('ids', [ids.length], 'int64');
    const indices = graph.node('Unsqueeze', [idInput, graph.intConstant([1])]);
    const sparse = [0, 1].map((k) => {
      const updates = graph.input(`rows/${k}`, [ids.length, 2]);
      return graph.node('ScatterND', [ops.zerosLike(graph.input(`table/${k}`, [5, 2])), indices, updates], { reduction: attr.string('add') });
    });
    const dense = sparse.map((x) => graph.node('Identity', [x]));
    for (const [label, gradients] of [['sparse', sparse], ['dense', dense]] as const) {
      const init = transform.init(ops, { tasks: 2, sharedShapes: [[5, 2]] });
      const result = transform.update(ops, { taskGradients: gradients.map((g) => [g]) }, init);
      graph.output(`${label}/combined`, result.combined[0]);
      graph.output(`${label}/norm0`, result.taskNorms[0][0]);
      graph.output(`${label}/norm1`, result.taskNorms[1][0]);
      graph.output(`${label}/finite`, result.finite);
    }
    const session = await createSession('test', serializeModel(graph), { intraOpThreads: 1 });
    try {
      const results = await session.run({
        ids: int64Tensor(ids),
        'rows/0': floatTensor({ shape: [ids.length, 2], values: rows(1) }),
        'rows/1': floatTensor({ shape: [ids.length, 2], values: rows(2) }),
        'table/0': floatTensor({ shape: [5, 2], values: new Float32Array(10) }),
        'table/1': floatTensor({ shape: [5, 2], values: new Float32Array(10) }),
      });
      for (const name of ['combined', 'norm0', 'norm1', 'finite']) {
        const a = Array.from(results[`sparse/${name}`].data as Float32Array);
        const b = Array.from(results[`dense/${name}`].data as Float32Array);
        expect(scaledError(a, b), name).toBeLessThanOrEqual(1e-6);
      }
      // Row 3 collects three updates, so its norm differs from the norm of the raw rows.
      const rawNorm = Math.hypot(...rows(1));
      expect(Math.abs((results['sparse/norm0'].data as Float32Array)[0] - rawNorm)).toBeGreaterThan(1e-3);
    } finally {
      await session.release();
    }
  });
});
