import { metaBalance } from '@mb/core';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { attr } from './graph.js';
import { createTrainer } from './trainer.js';
import type { ModelDefinition } from './training_graph.js';

/**
 * Two tasks on a shared [2, 3] weight. Each loss adds sqrt(head[k]), so a head at 0 has a finite
 * loss but an infinite gradient while the shared gradients stay finite.
 */
const model: ModelDefinition = {
  tasks: 2,
  shared: [{ name: 'trunk', shape: [2, 3] }],
  taskSpecific: [
    { name: 'head.0', shape: [1] },
    { name: 'head.1', shape: [1] },
  ],
  batchInputs: (n) => [{ name: 'x', shape: [n, 3], dtype: 'float32' }],
  losses(graph, p, batch) {
    const hidden = graph.node('Gemm', [batch.x, p.trunk], { transB: attr.int(1) });
    return [0, 1].map((k) => {
      const fit = graph.node('ReduceMean', [graph.node('Mul', [hidden, graph.floatConstant([k + 1])])], { keepdims: attr.int(0) });
      const head = graph.node('Reshape', [graph.node('Sqrt', [p[`head.${k}`]]), graph.intConstant([])]);
      return graph.node('Add', [fit, head]);
    });
  },
};

function trainer(head1: number) {
  return createTrainer({
    model,
    initialParameters: {
      trunk: { shape: [2, 3], values: Float32Array.from([0.1, -0.2, 0.3, 0.4, -0.5, 0.6]) },
      'head.0': { shape: [1], values: Float32Array.from([1]) },
      'head.1': { shape: [1], values: Float32Array.from([head1]) },
    },
    transform: metaBalance(),
    intraOpThreads: 1,
  });
}

const x = () => new ort.Tensor('float32', Float32Array.from([1, 2, 3, -1, 0, 2]), [2, 3]);

describe('Trainer with a custom model', () => {
  it('trains and reports per-task norms', async () => {
    const subject = trainer(4);
    const result = await subject.step({ x: x() }, 2);
    expect(result.skipped).toBe(false);
    expect(result.losses.length).toBe(2);
    expect(result.taskNorms.length).toBe(2);
    expect(result.taskNorms[1][0]).toBeGreaterThan(result.taskNorms[0][0]);
    expect(Array.from(subject.parameters().trunk.values)).not.toEqual([0.1, -0.2, 0.3, 0.4, -0.5, 0.6].map(Math.fround));
    await subject.release();
  });

  it('skips a step with only a non-finite head gradient', async () => {
    const subject = trainer(0);
    const before = subject.snapshot();
    const result = await subject.step({ x: x() }, 2);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    expect(result.skipped).toBe(true);
    expect(subject.skippedSteps).toBe(1);
    expect(subject.updatesApplied).toBe(0);
    const after = subject.snapshot();
    for (const name of Object.keys(before.tensors)) {
      expect(Array.from(after.tensors[name].values), name).toEqual(Array.from(before.tensors[name].values));
    }
    await subject.release();
  });

  it('rejects a missing initial parameter', () => {
    expect(() => createTrainer({ model, initialParameters: {}, transform: null })).toThrow(/initialParameters is missing "trunk"/);
  });

  it('rejects use after release', async () => {
    const subject = trainer(4);
    await subject.release();
    await expect(subject.step({ x: x() }, 2)).rejects.toThrow(/the trainer was released/);
  });
});
