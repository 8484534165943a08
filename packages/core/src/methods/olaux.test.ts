import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { runFixtureSteps, stateValues, valuesOf } from './method_test_fixtures.js';
import { auxiliaryWeightKey, onlineAuxiliaryWeighting } from './olaux.js';

const close = (expected: number[]) => expected.map((v) => expect.closeTo(v, 5));

// Expected values: float64 NumPy in reference_values.py (`olaux`), from
// w_1 <- w_1 + lr * sum over the horizon of <g_0, g_1>. The dot products of the three fixture
// steps are -3.4, -0.255 and -0.56.
describe('onlineAuxiliaryWeighting', () => {
  it('matches float64 reference with horizon 1', () => {
    const results = runFixtureSteps(onlineAuxiliaryWeighting({ learningRate: 0.1 }));
    expect(results.map((r) => stateValues(r, auxiliaryWeightKey(1))[0])).toEqual(close([0.66, 0.6345, 0.5785]));
    expect(results[1].combined.map(valuesOf)).toEqual([[1.064, -0.604, -0.79], [0.43, 0.135, 0.295, 1.33]].map(close));
    expect(results[2].combined.map(valuesOf)).toEqual(
      [[0.4614, 0.05585, 1.19035], [-0.0538, -0.4731, 0.67105, 0.33655]].map(close),
    );
  });

  it('matches float64 reference with horizon 2', () => {
    const results = runFixtureSteps(onlineAuxiliaryWeighting({ learningRate: 0.1, horizon: 2 }));
    expect(results.map((r) => stateValues(r, auxiliaryWeightKey(1))[0])).toEqual(close([1, 0.6345, 0.6345]));
    expect(results[1].combined.map(valuesOf)).toEqual([[1.2, -0.4, -1.3], [0.6, 0.05, 0.55, 1.5]].map(close));
    expect(stateValues(results[2], 'dotSum/1')).toEqual(close([-0.56]));
  });

  it('starts from the initial weight', () => {
    const [result] = runFixtureSteps(onlineAuxiliaryWeighting({ initialWeight: 0.5 }));
    expect(valuesOf(result.taskWeights[1][0])).toEqual([0.5]);
    expect(valuesOf(result.taskWeights[0][0])).toEqual([1]);
  });

  it('rejects invalid options', () => {
    expect(() => onlineAuxiliaryWeighting({ learningRate: -0.1 })).toThrow(InvalidArgumentError);
    expect(() => onlineAuxiliaryWeighting({ horizon: 0 })).toThrow(/options.horizon must be an integer/);
    expect(() => onlineAuxiliaryWeighting({ initialWeight: Number.NaN })).toThrow(/options.initialWeight/);
  });
});
