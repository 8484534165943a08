import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { referenceOps } from '../reference/reference_ops.js';
import { FIXTURE_SHAPES, FIXTURE_SPEC, FIXTURE_STEPS, hostInput, runFixtureSteps, stateValues, valuesOf } from './method_test_fixtures.js';
import { logVarianceKey, uncertaintyWeighting } from './uncertainty.js';

const close = (expected: number[]) => expected.map((v) => expect.closeTo(v, 5));

// Expected values: float64 NumPy in reference_values.py (`uncertainty`), from the formulas
// weight exp(-s_k), ds_k = 1 - exp(-s_k) * L_k, with Adam or SGD on s_k.
describe('uncertaintyWeighting', () => {
  it('matches float64 reference with Adam', () => {
    const results = runFixtureSteps(uncertaintyWeighting({ learningRate: 0.1 }));
    const combined = [
      [[0.5, -1, 2.5], [1.3, 0.1, 0.1, 1]],
      [[1.2460717, -0.562268461, -1.13622195], [0.562935803, 0.105341919, 0.457593884, 1.55758963]],
      [[0.721008515, -0.0235791643, 1.49343619], [-0.118179514, -0.551693529, 0.937765522, 0.398003422]],
    ];
    const logVariances = [
      [-0.0999999967, 0.099999995],
      [-0.200134111, 0.0984598553],
      [-0.30046961, 0.0765601926],
    ];
    results.forEach((result, t) => {
      expect(result.combined.map(valuesOf)).toEqual(combined[t].map(close));
      expect([0, 1].map((k) => stateValues(result, logVarianceKey(k))[0])).toEqual(close(logVariances[t]));
    });
  });

  it('matches float64 reference with SGD', () => {
    const results = runFixtureSteps(uncertaintyWeighting({ optimizer: 'sgd', learningRate: 0.5 }));
    expect(results[2].combined.map(valuesOf)).toEqual(
      [[0.785873479, -0.0190856208, 1.64967181], [-0.126776111, -0.612520521, 1.02874568, 0.441441976]].map(close),
    );
    expect([0, 1].map((k) => stateValues(results[2], logVarianceKey(k))[0])).toEqual(close([-0.463495439, 0.00360126506]));
  });

  it('reports exp(-s) as task weights', () => {
    const results = runFixtureSteps(uncertaintyWeighting({ optimizer: 'sgd', learningRate: 0.5 }));
    // After step 1, s = [-0.15, 0.1], so step 2 uses weights exp(0.15) and exp(-0.1).
    expect(valuesOf(results[1].taskWeights[0][1])).toEqual(close([Math.exp(0.15)]));
    expect(valuesOf(results[1].taskWeights[1][0])).toEqual(close([Math.exp(-0.1)]));
  });

  it('keeps s fixed where exp(-s) * L = 1', () => {
    const transform = uncertaintyWeighting({ optimizer: 'sgd', learningRate: 1 });
    const state = transform.init(referenceOps, FIXTURE_SPEC);
    const step = FIXTURE_STEPS[0];
    const result = transform.update(referenceOps, hostInput(step.gradients, FIXTURE_SHAPES, [1, 1]), state);
    expect(stateValues(result, logVarianceKey(0))).toEqual([0]);
    expect(stateValues(result, logVarianceKey(1))).toEqual([0]);
  });

  it('requires losses', () => {
    const transform = uncertaintyWeighting();
    expect(transform.requiresLosses).toBe(true);
    const state = transform.init(referenceOps, FIXTURE_SPEC);
    expect(() => transform.update(referenceOps, hostInput(FIXTURE_STEPS[0].gradients, FIXTURE_SHAPES), state)).toThrow(
      /losses are required/,
    );
  });

  it('rejects invalid options', () => {
    expect(() => uncertaintyWeighting({ learningRate: 0 })).toThrow(InvalidArgumentError);
    expect(() => uncertaintyWeighting({ learningRate: Number.NaN })).toThrow(/options.learningRate/);
    expect(() => uncertaintyWeighting({ optimizer: 'rmsprop' as never })).toThrow(/options.optimizer must be one of adam, sgd/);
    expect(() => uncertaintyWeighting({ beta1: 1 })).toThrow(/options.beta1 must be in \[0, 1\)/);
    expect(() => uncertaintyWeighting({ epsilon: -1 })).toThrow(/options.epsilon/);
    expect(() => uncertaintyWeighting({ learningrate: 0.1 } as never)).toThrow(/unknown option "learningrate"/);
  });
});
