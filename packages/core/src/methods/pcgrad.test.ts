import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { FIXTURE_STEPS, THREE_TASK_GRADIENTS, type FixtureStep, runFixtureSteps, stateValues, valuesOf } from './method_test_fixtures.js';
import { pcGrad, pcGradVisitOrder } from './pcgrad.js';

const close = (expected: number[]) => expected.map((v) => expect.closeTo(v, 5));

// Expected values: float64 NumPy in reference_values.py (`pcgrad_cases`), projecting each task
// gradient onto the normal plane of every conflicting original gradient in turn.
describe('pcGrad', () => {
  it('matches float64 reference with scope all', () => {
    const [result] = runFixtureSteps(pcGrad(), FIXTURE_STEPS.slice(0, 1));
    expect(result.combined.map(valuesOf)).toEqual(
      [[0.630851735, -1.26170347, 3.58542587], [1.86058885, 0.13575184, 0.183659306, 1.26170347]].map(close),
    );
  });

  it('reports effective task weights', () => {
    // <g_0, g_1> = -3.4, ||g_0||^2 = 9.51 and ||g_1||^2 = 7.5 over both tensors, so each copy
    // loses its component along the other: weights 1 + 3.4 / 9.51 and 1 + 3.4 / 7.5.
    const [result] = runFixtureSteps(pcGrad(), FIXTURE_STEPS.slice(0, 1));
    expect(valuesOf(result.taskWeights[0][1])).toEqual(close([1 + 3.4 / 9.51]));
    expect(valuesOf(result.taskWeights[1][0])).toEqual(close([1 + 3.4 / 7.5]));
  });

  it('matches float64 reference with scope tensor', () => {
    const [result] = runFixtureSteps(pcGrad({ scope: 'tensor' }), FIXTURE_STEPS.slice(0, 1));
    expect(result.combined.map(valuesOf)).toEqual(
      [[0.642857143, -1.28571429, 3.21428571], [2.27824726, 0.144600939, 0.343818466, 1.04757433]].map(close),
    );
  });

  it('rotates the visiting order each step', () => {
    const step: FixtureStep = { gradients: THREE_TASK_GRADIENTS.map((t) => t.map((g) => [...g])), losses: [1, 1, 1] };
    const results = runFixtureSteps(pcGrad(), [step, step, step], [[3]]);
    expect(valuesOf(results[0].combined[0])).toEqual(close([0.0523809524, 0.99047619, 2.16190476]));
    expect(valuesOf(results[1].combined[0])).toEqual(close([-0.214285714, 0.723809524, 2.32857143]));
    expect(valuesOf(results[2].combined[0])).toEqual(close([0.0523809524, 0.99047619, 2.16190476]));
    expect(stateValues(results[0], 'rotation')).toEqual([1]);
    expect(stateValues(results[1], 'rotation')).toEqual([0]);
  });

  it('lists visiting orders', () => {
    expect(pcGradVisitOrder(4, 1, 0)).toEqual([0, 2, 3]);
    expect(pcGradVisitOrder(4, 1, 1)).toEqual([2, 3, 0]);
    expect(pcGradVisitOrder(4, 1, 2)).toEqual([3, 0, 2]);
  });

  it('leaves non-conflicting gradients unchanged', () => {
    const g0 = [[1, 0, 0], [1, 1, 0, 0]];
    const g1 = [[0, 1, 0], [0, 1, 1, 0]];
    const [result] = runFixtureSteps(pcGrad(), [{ gradients: [g0, g1], losses: [1, 1] }]);
    expect(result.combined.map(valuesOf)).toEqual([[1, 1, 0], [1, 2, 1, 0]]);
  });

  it('cancels exactly opposite gradients', () => {
    const g0 = FIXTURE_STEPS[0].gradients[0];
    const g1 = g0.map((t) => t.map((x) => -x));
    const [result] = runFixtureSteps(pcGrad(), [{ gradients: [g0, g1], losses: [1, 1] }]);
    for (const tensor of result.combined) expect(valuesOf(tensor).every((x) => Math.abs(x) < 1e-6)).toBe(true);
  });

  it('rejects invalid options', () => {
    expect(() => pcGrad({ scope: 'global' as never })).toThrow(InvalidArgumentError);
    expect(() => pcGrad({ seed: 1 } as never)).toThrow(/unknown option "seed"/);
  });
});
