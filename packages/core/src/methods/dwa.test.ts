import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { hostTensor, referenceOps } from '../reference/reference_ops.js';
import { dynamicWeightAverage } from './dwa.js';
import { FIXTURE_STEPS, type FixtureStep, runFixtureSteps, stateValues, valuesOf } from './method_test_fixtures.js';

const close = (expected: number[]) => expected.map((v) => expect.closeTo(v, 5));

// Expected values: float64 NumPy in reference_values.py (`dwa`), from
// w_k = K * softmax(r_k / T) with r_k = L_k(t-1) / L_k(t-2), weight 1 for the first two steps.
describe('dynamicWeightAverage', () => {
  it('matches float64 reference with T=2', () => {
    const results = runFixtureSteps(dynamicWeightAverage());
    expect(valuesOf(results[0].taskWeights[0][0])).toEqual([1]);
    expect(valuesOf(results[1].taskWeights[1][1])).toEqual([1]);
    expect(results[1].combined.map(valuesOf)).toEqual([[1.2, -0.4, -1.3], [0.6, 0.05, 0.55, 1.5]].map(close));
    expect(valuesOf(results[2].taskWeights[0][0])).toEqual(close([1.02677931]));
    expect(valuesOf(results[2].taskWeights[1][1])).toEqual(close([0.97322069]));
    expect(results[2].combined.map(valuesOf)).toEqual(
      [[0.859831035, -0.167864828, 1.31874552], [-0.183932414, -0.421423448, 0.978576552, 0.313389655]].map(close),
    );
  });

  it('matches float64 reference with T=0.5', () => {
    const results = runFixtureSteps(dynamicWeightAverage({ temperature: 0.5 }));
    expect(valuesOf(results[2].taskWeights[0][0])).toEqual(close([1.10673475]));
    expect(results[2].combined.map(valuesOf)).toEqual(
      [[0.739897882, -0.0719183053, 1.37471432], [-0.135959153, -0.485387796, 0.914612204, 0.353367373]].map(close),
    );
  });

  it('averages losses over a window', () => {
    // Window 2 over six steps: averages (1+3)/2=2 and (2+2)/2=2 for task 0, (1+1)/2=1 and
    // (3+5)/2=4 for task 1, so from step 5 on r = [1, 4] and w = 2 * softmax([0.5, 2]).
    const gradients = FIXTURE_STEPS[0].gradients;
    const losses = [[1, 1], [3, 1], [2, 3], [2, 5], [9, 9], [9, 9]];
    const steps: FixtureStep[] = losses.map((l) => ({ gradients, losses: l }));
    const results = runFixtureSteps(dynamicWeightAverage({ window: 2 }), steps);
    for (let t = 0; t < 4; t++) expect(valuesOf(results[t].taskWeights[0][0])).toEqual([1]);
    const expected0 = (2 * Math.exp(0.5)) / (Math.exp(0.5) + Math.exp(2));
    expect(valuesOf(results[4].taskWeights[0][0])).toEqual(close([expected0]));
    expect(valuesOf(results[5].taskWeights[1][0])).toEqual(close([2 - expected0]));
    expect(stateValues(results[3], 'lastAverageLoss/1')).toEqual([4]);
    expect(stateValues(results[3], 'previousAverageLoss/1')).toEqual([1]);
  });

  it('stays finite for a huge loss ratio', () => {
    // r_0 = 1e30 would overflow exp without the shift by the largest logit.
    const gradients = FIXTURE_STEPS[0].gradients;
    const steps: FixtureStep[] = [[1e-30, 1], [1, 1], [1, 1]].map((l) => ({ gradients, losses: l }));
    const results = runFixtureSteps(dynamicWeightAverage(), steps);
    expect(valuesOf(results[2].taskWeights[0][0])).toEqual([2]);
    expect(valuesOf(results[2].taskWeights[1][0])).toEqual([0]);
    expect(valuesOf(results[2].finite)).toEqual([1]);
  });

  it('caps an infinite loss ratio', () => {
    // 1e38 / 1e-44 overflows float32 to infinity. Without the cap the softmax would be NaN.
    const gradients = FIXTURE_STEPS[0].gradients;
    const steps: FixtureStep[] = [[1e-44, 1], [1e38, 1], [1, 1]].map((l) => ({ gradients, losses: l }));
    const results = runFixtureSteps(dynamicWeightAverage(), steps);
    expect(valuesOf(results[2].finite)).toEqual([1]);
    expect(valuesOf(results[2].taskWeights[0][0])).toEqual([2]);
  });

  it('uses ratio 1 for a zero previous loss', () => {
    const gradients = FIXTURE_STEPS[0].gradients;
    const steps: FixtureStep[] = [[0, 1], [0, 1], [0, 1]].map((l) => ({ gradients, losses: l }));
    const results = runFixtureSteps(dynamicWeightAverage(), steps);
    expect(valuesOf(results[2].taskWeights[0][0])).toEqual(close([1]));
    expect(valuesOf(results[2].finite)).toEqual([1]);
  });

  it('rejects invalid options', () => {
    expect(() => dynamicWeightAverage({ temperature: 0 })).toThrow(InvalidArgumentError);
    expect(() => dynamicWeightAverage({ temperature: Infinity })).toThrow(/options.temperature/);
    expect(() => dynamicWeightAverage({ window: 1.5 })).toThrow(/options.window must be an integer/);
    expect(() => dynamicWeightAverage({ window: 0 })).toThrow(/options.window/);
    expect(() => dynamicWeightAverage({ T: 2 } as never)).toThrow(/unknown option "T"/);
  });
});

describe('dynamicWeightAverage losses argument', () => {
  it('rejects plain numbers as losses', () => {
    const transform = dynamicWeightAverage();
    const state = transform.init(referenceOps, { tasks: 2, sharedShapes: [[1]] });
    const taskGradients = [[hostTensor([1], [1])], [hostTensor([2], [1])]];
    expect(() => transform.update(referenceOps, { taskGradients, losses: [0.5, 0.7] as never }, state)).toThrow(
      /losses\[0\] must be a tensor of the backend.*got number 0.5/,
    );
  });
});
