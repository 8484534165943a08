import { describe, expect, it } from 'vitest';

import { hostTensor, referenceOps } from '../reference/reference_ops.js';
import { targetOnly } from './target_only.js';

const ops = referenceOps;

describe('targetOnly', () => {
  const gradients = [
    [hostTensor([1, -2], [2]), hostTensor([0.5], [1])],
    [hostTensor([10, 20], [2]), hostTensor([-3], [1])],
    [hostTensor([4, 4], [2]), hostTensor([7], [1])],
  ];
  const spec = { tasks: 3, sharedShapes: [[2], [1]] };

  it('passes the target gradient through unchanged', () => {
    const transform = targetOnly();
    const result = transform.update(ops, { taskGradients: gradients }, transform.init(ops, spec));
    expect(Array.from(result.combined[0].values)).toEqual([1, -2]);
    expect(Array.from(result.combined[1].values)).toEqual([0.5]);
    expect(result.finite.values[0]).toBe(1);
  });

  it('reports weight 1 for the target and 0 for auxiliary tasks', () => {
    const transform = targetOnly();
    const result = transform.update(ops, { taskGradients: gradients }, transform.init(ops, spec));
    expect(result.taskWeights.map((row) => row.map((w) => w.values[0]))).toEqual([
      [1, 1],
      [0, 0],
      [0, 0],
    ]);
    expect(result.taskNorms[1][0].values[0]).toBeCloseTo(Math.sqrt(500), 4);
  });

  it('skips the step when an auxiliary gradient is not finite', () => {
    const transform = targetOnly();
    const bad = [gradients[0], [hostTensor([Number.POSITIVE_INFINITY, 0], [2]), hostTensor([1], [1])], gradients[2]];
    const result = transform.update(ops, { taskGradients: bad }, transform.init(ops, spec));
    expect(result.finite.values[0]).toBe(0);
    expect(Array.from(result.combined[0].values)).toEqual([0, 0]);
  });

  it('rejects a state built for other shapes', () => {
    const transform = targetOnly();
    const state = transform.init(ops, { tasks: 3, sharedShapes: [[3], [1]] });
    expect(() => transform.update(ops, { taskGradients: gradients }, state)).toThrow('Error in targetOnly.update');
  });
});
