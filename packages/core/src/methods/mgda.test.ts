import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { hostTensor, referenceOps } from '../reference/reference_ops.js';
import { FIXTURE_STEPS, THREE_TASK_GRADIENTS, runFixtureSteps, valuesOf } from './method_test_fixtures.js';
import { mgda, minNormWeights } from './mgda.js';

const close = (expected: number[], digits = 5) => expected.map((v) => expect.closeTo(v, digits));

function gramOf(vectors: number[][]) {
  return vectors.map((a) => vectors.map((b) => hostTensor([a.reduce((s, x, i) => s + x * b[i], 0)], [])));
}

// Expected values: float64 NumPy in reference_values.py (`mgda_cases`): Frank-Wolfe with the
// closed-form line search, and the exact minimum-norm point by enumerating faces of the simplex.
describe('mgda', () => {
  it('matches float64 reference on two tasks', () => {
    const [result] = runFixtureSteps(mgda(), FIXTURE_STEPS.slice(0, 1));
    expect(valuesOf(result.taskWeights[0][0])).toEqual(close([0.457790844]));
    expect(valuesOf(result.taskWeights[1][1])).toEqual(close([0.542209156]));
    expect(result.combined.map(valuesOf)).toEqual(
      [[0.186686266, -0.373372533, 1.31331373], [0.679546409, 0.0457790844, 0.0879882402, 0.373372533]].map((x) =>
        close(x),
      ),
    );
  });

  it('solves per tensor with scope tensor', () => {
    const [result] = runFixtureSteps(mgda({ scope: 'tensor' }), FIXTURE_STEPS.slice(0, 1));
    expect([0, 1].map((k) => valuesOf(result.taskWeights[k][0])[0])).toEqual(close([0.5, 0.5]));
    expect([0, 1].map((k) => valuesOf(result.taskWeights[k][1])[0])).toEqual(close([0.402521823, 0.597478177]));
  });

  it('follows Frank-Wolfe iterates on three tasks', () => {
    const gram = gramOf(THREE_TASK_GRADIENTS.map((task) => task[0]));
    const iterates: [number, number[]][] = [
      [1, [0.295130349, 0.409739302, 0.295130349]],
      [2, [0.334100963, 0.387085763, 0.278813274]],
      [20, [0.3757733, 0.404698981, 0.219527719]],
    ];
    for (const [iterations, expected] of iterates) {
      const alpha = minNormWeights(referenceOps, gram, iterations).map((a) => valuesOf(a)[0]);
      expect(alpha).toEqual(close(expected));
    }
  });

  it('approaches the exact minimum-norm point', () => {
    const gram = gramOf(THREE_TASK_GRADIENTS.map((task) => task[0]));
    const alpha = minNormWeights(referenceOps, gram, 500).map((a) => valuesOf(a)[0]);
    expect(alpha).toEqual(close([0.380336352, 0.406209573, 0.213454075], 2));
    expect(alpha[0] + alpha[1] + alpha[2]).toBeCloseTo(1, 5);
  });

  it('returns the shorter gradient when one contains the other', () => {
    // g1 = 3 * g0: the minimum-norm point of the segment is g0 itself.
    const g0 = [[1, 2, 0], [0.5, 0, 0, 1]];
    const g1 = g0.map((t) => t.map((x) => 3 * x));
    const [result] = runFixtureSteps(mgda(), [{ gradients: [g0, g1], losses: [1, 1] }]);
    expect(result.combined.map(valuesOf)).toEqual(g0.map((x) => close(x)));
  });

  it('rejects invalid options', () => {
    expect(() => mgda({ iterations: 0 })).toThrow(InvalidArgumentError);
    expect(() => mgda({ iterations: 2.5 })).toThrow(/options.iterations must be an integer/);
    expect(() => mgda({ scope: 'layer' as never })).toThrow(/options.scope must be one of all, tensor/);
  });
});
