import { InvalidArgumentError } from '@mb/core';
import { describe, expect, it } from 'vitest';

import { EMBEDDING_INIT_STD, initNeuMFParameters } from './init.js';
import { neumfLayout, type NeuMFConfig } from './neumf.js';

const config: NeuMFConfig = { users: 300, items: 200, gmfDim: 8, mlpDim: 16, hidden: [32, 8], tasks: 4 };

describe('initNeuMFParameters', () => {
  it('creates every layout parameter with its shape', () => {
    const parameters = initNeuMFParameters(config, 1);
    const layout = neumfLayout(config);
    const specs = [...layout.shared, ...layout.taskSpecific];
    expect(Object.keys(parameters)).toEqual(specs.map((spec) => spec.name));
    for (const spec of specs) {
      const tensor = parameters[spec.name];
      expect(tensor.shape).toEqual(spec.shape);
      expect(tensor.values).toBeInstanceOf(Float32Array);
      expect(tensor.values.length).toBe(spec.shape.reduce((a, b) => a * b, 1));
    }
  });

  it('is deterministic in the seed', () => {
    expect(initNeuMFParameters(config, 7)).toEqual(initNeuMFParameters(config, 7));
  });

  it('differs across seeds and parameters', () => {
    const a = initNeuMFParameters(config, 7);
    const b = initNeuMFParameters(config, 8);
    expect(a['user_gmf.weight'].values).not.toEqual(b['user_gmf.weight'].values);
    expect(a['mlp.0.weight'].values).not.toEqual(b['mlp.0.weight'].values);
    // Same shape, same seed, different names: independent streams.
    expect(a['user_gmf.weight'].values.subarray(0, 100)).not.toEqual(a['item_gmf.weight'].values.subarray(0, 100));
    expect(a['heads.0.weight'].values).not.toEqual(a['heads.1.weight'].values);
  });

  it('leaves other parameters unchanged when a task is added', () => {
    const four = initNeuMFParameters(config, 3);
    const five = initNeuMFParameters({ ...config, tasks: 5 }, 3);
    for (const name of Object.keys(four)) expect(five[name]).toEqual(four[name]);
    expect(five['heads.4.weight'].shape).toEqual([1, 16]);
  });

  it('draws embeddings from N(0, 0.01^2)', () => {
    const values = initNeuMFParameters(config, 2)['user_mlp.weight'].values; // 4,800 values
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const std = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(Math.abs(std - EMBEDDING_INIT_STD)).toBeLessThan(0.0005);
  });

  it('draws Linear weights and biases uniformly within 1/sqrt(fan-in)', () => {
    const parameters = initNeuMFParameters(config, 5);
    const cases = [
      { name: 'mlp.0.weight', fanIn: 32 },
      { name: 'mlp.0.bias', fanIn: 32 },
      { name: 'mlp.1.weight', fanIn: 32 },
      { name: 'mlp.1.bias', fanIn: 32 },
      { name: 'heads.2.weight', fanIn: 16 },
      { name: 'heads.2.bias', fanIn: 16 },
    ];
    for (const { name, fanIn } of cases) {
      const bound = 1 / Math.sqrt(fanIn);
      const values = parameters[name].values;
      const maxAbs = values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
      expect(maxAbs).toBeLessThanOrEqual(bound);
    }
    // A uniform variable on [-b, b] has variance b^2 / 3.
    const weights = parameters['mlp.0.weight'].values; // 1,024 values
    const variance = weights.reduce((sum, value) => sum + value * value, 0) / weights.length;
    expect(variance).toBeGreaterThan((0.9 * (1 / 32)) / 3);
    expect(variance).toBeLessThan((1.1 * (1 / 32)) / 3);
  });

  it('rejects invalid seeds and configs', () => {
    expect(() => initNeuMFParameters(config, 0.5)).toThrow(InvalidArgumentError);
    expect(() => initNeuMFParameters({ ...config, hidden: [] }, 1)).toThrow(/config.hidden/);
  });
});
