import { describe, expect, it } from 'vitest';

import { hostTensor, referenceOps } from '../reference/reference_ops.js';
import { equalWeighting } from './equal_weighting.js';
import { metaBalance } from './metabalance.js';

const ops = referenceOps;

describe('equalWeighting', () => {
  it('returns the plain sum of task gradients', () => {
    const transform = equalWeighting();
    const state = transform.init(ops, { tasks: 3, sharedShapes: [[2], [1]] });
    const result = transform.update(
      ops,
      {
        taskGradients: [
          [hostTensor([1, 2], [2]), hostTensor([5], [1])],
          [hostTensor([10, -2], [2]), hostTensor([0.5], [1])],
          [hostTensor([-4, 8], [2]), hostTensor([1], [1])],
        ],
      },
      state,
    );

    expect(Array.from(result.combined[0].values)).toEqual([7, 8]);
    expect(Array.from(result.combined[1].values)).toEqual([6.5]);
    expect(result.taskWeights.flat().map((w) => w.values[0])).toEqual([1, 1, 1, 1, 1, 1]);
    expect(result.taskNorms[1][0].values[0]).toBeCloseTo(Math.hypot(10, 2), 5);
    expect(result.finite.values[0]).toBe(1);
  });

  it('matches MetaBalance with relaxFactor 0', () => {
    const gradients = [[hostTensor([0.3, -1.7], [2])], [hostTensor([12, 4], [2])]];
    const spec = { tasks: 2, sharedShapes: [[2]] };
    const plain = equalWeighting();
    const relaxed = metaBalance({ relaxFactor: 0 });

    const a = plain.update(ops, { taskGradients: gradients }, plain.init(ops, spec));
    const b = relaxed.update(ops, { taskGradients: gradients }, relaxed.init(ops, spec));

    expect(Array.from(a.combined[0].values)).toEqual(Array.from(b.combined[0].values));
  });

  it('zeroes the combined gradient when an input is NaN', () => {
    const transform = equalWeighting();
    const state = transform.init(ops, { tasks: 2, sharedShapes: [[2]] });
    const result = transform.update(
      ops,
      { taskGradients: [[hostTensor([1, NaN], [2])], [hostTensor([1, 1], [2])]] },
      state,
    );

    expect(result.finite.values[0]).toBe(0);
    expect(Array.from(result.combined[0].values)).toEqual([0, 0]);
  });

  it('rejects state from another transform', () => {
    const state = metaBalance().init(ops, { tasks: 2, sharedShapes: [[2]] });
    const gradients = [[hostTensor([1, 2], [2])], [hostTensor([1, 2], [2])]];
    expect(() => equalWeighting().update(ops, { taskGradients: gradients }, state)).toThrow(/Error in equalWeighting.update: state was built for/);
  });
});
