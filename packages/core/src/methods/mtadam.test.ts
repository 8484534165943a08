import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { runFixtureSteps, stateValues, valuesOf } from './method_test_fixtures.js';
import { mtAdam } from './mtadam.js';

const close = (expected: number[]) => expected.map((v) => expect.closeTo(v, 5));

// Expected values: float64 NumPy in reference_values.py (`mtadam`), which follows the update
// rule described in mtadam.ts with default coefficients.
describe('mtAdam', () => {
  it('matches float64 reference over three steps', () => {
    const results = runFixtureSteps(mtAdam());
    const combined = [
      [[0.499999995, -0.499999998, 1.24999999], [1.2180257, 0.9999999, 0.418598094, 0.31200775]],
      [[0.955222157, -0.436097783, 0.291969541], [1.10902038, 0.116340876, 0.651460082, 0.744463311]],
      [[1.12782714, -0.379363164, 0.5541803], [0.684027598, -0.274435617, 0.843414654, 0.642290424]],
    ];
    results.forEach((result, t) => expect(result.combined.map(valuesOf)).toEqual(combined[t].map(close)));
    expect(stateValues(results[2], 'normAverage/0/0')).toEqual(close([2.08835486]));
    expect(stateValues(results[2], 'normAverage/1/1')).toEqual(close([1.41145446]));
  });

  it('reports anchor-to-task norm ratios', () => {
    const [result] = runFixtureSteps(mtAdam());
    expect(valuesOf(result.taskWeights[0][1])).toEqual(close([1]));
    expect(valuesOf(result.taskWeights[1][1])).toEqual(close([2.06397674 / 1.5]));
  });

  it('falls back to the next anchor when the target is zero', () => {
    // Task 0 is zero on tensor 0, so task 1 anchors it and keeps its own scale.
    const g0 = [[0, 0, 0], [1, 0, 0, 0]];
    const g1 = [[3, 0, 4], [0, 2, 0, 0]];
    const [result] = runFixtureSteps(mtAdam(), [{ gradients: [g0, g1], losses: [1, 1] }]);
    expect(valuesOf(result.taskWeights[1][0])).toEqual([1]);
    expect(valuesOf(result.taskWeights[1][1])).toEqual(close([0.5]));
    // First step: the direction is sum_k h_k / max_k |h_k| elementwise.
    expect(valuesOf(result.combined[0])).toEqual(close([1, 0, 1]));
  });

  it('gives moments the shared tensor shape after one step', () => {
    const [result] = runFixtureSteps(mtAdam());
    expect(result.state.tensors['firstMoment/1/1'].shape).toEqual([2, 2]);
    expect(result.state.tensors['secondMoment/0/0'].shape).toEqual([3]);
  });

  it('rejects invalid options', () => {
    expect(() => mtAdam({ beta3: 1 })).toThrow(InvalidArgumentError);
    expect(() => mtAdam({ beta1: -0.1 })).toThrow(/options.beta1/);
    expect(() => mtAdam({ epsilon: 0 })).toThrow(/options.epsilon/);
  });
});
