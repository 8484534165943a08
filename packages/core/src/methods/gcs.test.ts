import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { gradientCosineSimilarity } from './gcs.js';
import { FIXTURE_STEPS, runFixtureSteps, valuesOf } from './method_test_fixtures.js';

const close = (expected: number[]) => expected.map((v) => expect.closeTo(v, 5));

// Step 2 of the fixture conflicts on tensor 0 and agrees on tensor 1. Expected values: float64
// NumPy in reference_values.py (`gcs_cases`), from cos = <g_0, g_1> / (||g_0|| ||g_1||).
const STEP = FIXTURE_STEPS.slice(1, 2);

describe('gradientCosineSimilarity', () => {
  it('matches float64 reference, binary variant', () => {
    const [result] = runFixtureSteps(gradientCosineSimilarity(), STEP);
    expect(valuesOf(result.taskWeights[1][0])).toEqual([0]);
    expect(valuesOf(result.taskWeights[1][1])).toEqual([1]);
    expect(result.combined.map(valuesOf)).toEqual([[0.8, -1, 0.2], [0.6, 0.05, 0.55, 1.5]].map(close));
  });

  it('matches float64 reference, weighted variant', () => {
    const [result] = runFixtureSteps(gradientCosineSimilarity({ variant: 'weighted' }), STEP);
    expect(valuesOf(result.taskWeights[1][1])).toEqual(close([0.286982011]));
    expect(result.combined.map(valuesOf)).toEqual(
      [[0.8, -1, 0.2], [0.243491005, 0.228254497, 0.015236508, 1.14349101]].map(close),
    );
  });

  it('decides once with scope all', () => {
    // The concatenated cosine is -0.0769, so the auxiliary gradient is dropped everywhere.
    const [result] = runFixtureSteps(gradientCosineSimilarity({ variant: 'weighted', scope: 'all' }), STEP);
    expect(result.combined.map(valuesOf)).toEqual([[0.8, -1, 0.2], [0.1, 0.3, -0.2, 1]].map(close));
  });

  it('drops auxiliary gradients where the target is zero', () => {
    const g0 = [[0, 0, 0], [1, 0, 0, 0]];
    const g1 = [[1, 2, 3], [1, 1, 0, 0]];
    const [result] = runFixtureSteps(gradientCosineSimilarity(), [{ gradients: [g0, g1], losses: [1, 1] }]);
    expect(result.combined.map(valuesOf)).toEqual([[0, 0, 0], [2, 1, 0, 0]]);
  });

  it('keeps the target weight at 1', () => {
    const [result] = runFixtureSteps(gradientCosineSimilarity({ variant: 'weighted' }), STEP);
    expect(result.taskWeights[0].map(valuesOf)).toEqual([[1], [1]]);
  });

  it('rejects invalid options', () => {
    expect(() => gradientCosineSimilarity({ variant: 'soft' as never })).toThrow(InvalidArgumentError);
    expect(() => gradientCosineSimilarity({ scope: 1 as never })).toThrow(/options.scope must be one of all, tensor, got 1/);
  });
});
