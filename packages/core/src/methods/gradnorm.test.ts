import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { referenceOps } from '../reference/reference_ops.js';
import { gradNorm, gradNormWeightKey } from './gradnorm.js';
import { FIXTURE_SPEC, FIXTURE_STEPS, type FixtureStep, runFixtureSteps, stateValues, valuesOf } from './method_test_fixtures.js';

const close = (expected: number[]) => expected.map((v) => expect.closeTo(v, 5));
const weightsAfter = (result: Parameters<typeof stateValues>[0]) =>
  [0, 1].map((k) => stateValues(result, gradNormWeightKey(k))[0]);

// Expected values: float64 NumPy in reference_values.py (`gradnorm`): G_k = w_k ||g_k(W)||,
// target mean(G) * r_k^alpha, dw_k = sign(G_k - target_k) ||g_k(W)||, SGD step, clip at 0,
// renormalise to sum K.
describe('gradNorm', () => {
  it('matches float64 reference on the last tensor', () => {
    const results = runFixtureSteps(gradNorm({ learningRate: 0.1 }));
    expect(weightsAfter(results[0])).toEqual(close([0.816630352, 1.18336965]));
    expect(weightsAfter(results[1])).toEqual(close([0.923075859, 1.07692414]));
    expect(weightsAfter(results[2])).toEqual(close([1.01146876, 0.988531237]));
    expect(results[1].combined.map(valuesOf)).toEqual(
      [[1.12665214, -0.106608563, -1.6117284], [0.673347859, -0.0508533064, 0.724201166, 1.40831518]].map(close),
    );
    expect(results[2].combined.map(valuesOf)).toEqual(
      [[1.01538621, -0.29230897, 1.2461531], [-0.246154485, -0.338460687, 1.06153931, 0.261537929]].map(close),
    );
  });

  it('matches float64 reference on tensor 0', () => {
    // Both tasks have norm sqrt(5.25) on tensor 0 at step 1, so the weights stay at 1.
    const results = runFixtureSteps(gradNorm({ alpha: 0.5, learningRate: 0.2, sharedTensor: 0 }));
    expect(weightsAfter(results[0])).toEqual(close([1, 1]));
    expect(weightsAfter(results[1])).toEqual(close([1.30736464, 0.692635355]));
    expect(weightsAfter(results[2])).toEqual(close([1.0482084, 0.951791604]));
    expect(results[2].combined.map(valuesOf)).toEqual(
      [[0.438953033, 0.168837574, 1.51515525], [-0.0155812132, -0.645891716, 0.754108284, 0.453682322]].map(close),
    );
  });

  it('stores the first losses as initial losses', () => {
    const results = runFixtureSteps(gradNorm());
    expect(stateValues(results[2], 'initialLoss/0')).toEqual(close([0.7]));
    expect(stateValues(results[2], 'initialLoss/1')).toEqual(close([1.2]));
  });

  it('keeps weights summing to the task count', () => {
    const results = runFixtureSteps(gradNorm({ learningRate: 5 }));
    for (const result of results) {
      const weights = weightsAfter(result);
      expect(weights[0] + weights[1]).toBeCloseTo(2, 5);
      expect(Math.min(...weights)).toBeGreaterThanOrEqual(0);
    }
  });

  it('handles zero losses and gradients', () => {
    const zeros = FIXTURE_STEPS[0].gradients.map((task) => task.map((t) => t.map(() => 0)));
    const steps: FixtureStep[] = [0, 1].map(() => ({ gradients: zeros, losses: [0, 0] }));
    const results = runFixtureSteps(gradNorm(), steps);
    expect(weightsAfter(results[1])).toEqual([1, 1]);
    expect(valuesOf(results[1].finite)).toEqual([1]);
  });

  it('rejects invalid options', () => {
    expect(() => gradNorm({ alpha: -1 })).toThrow(InvalidArgumentError);
    expect(() => gradNorm({ learningRate: 0 })).toThrow(/options.learningRate/);
    expect(() => gradNorm({ sharedTensor: -2 })).toThrow(/options.sharedTensor must be an integer/);
    expect(() => gradNorm({ sharedTensor: 2 }).init(referenceOps, FIXTURE_SPEC)).toThrow(
      /options.sharedTensor is 2 but there are only 2 shared tensors/,
    );
  });
});
