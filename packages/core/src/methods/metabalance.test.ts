import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '../errors.js';
import { hostTensor, referenceOps } from '../reference/reference_ops.js';
import { deserializeState, serializeState } from '../state_serialization.js';
import type { HostTensor } from '../tensor_ops.js';
import type { TransformState } from '../transform.js';
import { findSharedDir, goldenTransformCases, maxRelativeError, readGoldenFile } from '../testing/index.js';
import { metaBalance, movingAverageNormKey } from './metabalance.js';

const ops = referenceOps;
const shared = findSharedDir();
if (shared === null) console.warn('Skipping MetaBalance golden tests: the shared data folder was not found.');

const value = (x: HostTensor): number => x.values[0];
const values = (x: HostTensor): number[] => Array.from(x.values);

/** Runs one MetaBalance step on plain arrays, indexed `[task][tensor][element]`. */
function step(
  transform: ReturnType<typeof metaBalance>,
  gradients: number[][][],
  shapes: number[][],
  state: TransformState<HostTensor>,
) {
  const taskGradients = gradients.map((task) => task.map((g, j) => hostTensor(g, shapes[j])));
  return transform.update(ops, { taskGradients }, state);
}

describe('metaBalance golden cases', () => {
  const cases = shared === null ? [] : goldenTransformCases(readGoldenFile(join(shared, 'golden', 'metabalance.json')));

  it.skipIf(shared === null)('golden file has transform cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  for (const goldenCase of cases) {
    it(`matches ${goldenCase.name} within 1e-5`, () => {
      const transform = metaBalance({ relaxFactor: goldenCase.relaxFactor, beta: goldenCase.beta });
      let state = transform.init(ops, { tasks: goldenCase.tasks, sharedShapes: goldenCase.shapes });

      goldenCase.steps.forEach((expected, n) => {
        const result = step(transform, expected.taskGradients, goldenCase.shapes, state);
        state = result.state;
        expect(value(result.finite)).toBe(1);

        result.combined.forEach((combined, j) => {
          const error = maxRelativeError(combined.values, expected.combined[j]);
          expect(error, `step ${n} tensor ${j} combined`).toBeLessThanOrEqual(1e-5);
        });
        for (let k = 0; k < goldenCase.tasks; k++) {
          for (let j = 0; j < goldenCase.shapes.length; j++) {
            const average = value(state.tensors[movingAverageNormKey(k, j)]);
            const error = maxRelativeError([average], [expected.movingAverageNorms[k][j]]);
            expect(error, `step ${n} task ${k} tensor ${j} moving average`).toBeLessThanOrEqual(1e-5);
          }
        }
      });
    });
  }
});

describe('metaBalance formula', () => {
  it('rescales auxiliary gradients toward the target magnitude', () => {
    const transform = metaBalance({ relaxFactor: 0.5, beta: 0 });
    const state = transform.init(ops, { tasks: 2, sharedShapes: [[2]] });

    // Target norm 5, auxiliary norm 20: weight 0.5 * 5 / 20 + 0.5 = 0.625.
    const result = step(transform, [[[3, 4]], [[12, 16]]], [[2]], state);

    expect(value(result.taskWeights[1][0])).toBeCloseTo(0.625, 6);
    expect(values(result.combined[0])).toEqual([3 + 12 * 0.625, 4 + 16 * 0.625]);
    expect(value(result.taskNorms[1][0])).toBe(20);
  });

  it('relaxFactor 1 equalises magnitudes', () => {
    const transform = metaBalance({ relaxFactor: 1, beta: 0 });
    const state = transform.init(ops, { tasks: 3, sharedShapes: [[2]] });
    const result = step(transform, [[[0, 2]], [[10, 0]], [[0, -0.5]]], [[2]], state);

    expect(values(result.combined[0])).toEqual([2, 2 - 2]);
    expect(value(result.taskWeights[1][0])).toBeCloseTo(0.2, 7);
    expect(value(result.taskWeights[2][0])).toBe(4);
  });

  it('reduce strategy only shrinks larger auxiliary gradients', () => {
    const transform = metaBalance({ relaxFactor: 1, beta: 0, strategy: 'reduce' });
    const state = transform.init(ops, { tasks: 3, sharedShapes: [[1]] });
    const result = step(transform, [[[2]], [[8]], [[0.5]]], [[1]], state);

    expect(value(result.taskWeights[1][0])).toBe(0.25);
    expect(value(result.taskWeights[2][0])).toBe(1);
    expect(values(result.combined[0])).toEqual([2 + 2 + 0.5]);
  });

  it('enlarge strategy only grows smaller auxiliary gradients', () => {
    const transform = metaBalance({ relaxFactor: 1, beta: 0, strategy: 'enlarge' });
    const state = transform.init(ops, { tasks: 3, sharedShapes: [[1]] });
    const result = step(transform, [[[2]], [[8]], [[0.5]]], [[1]], state);

    expect(value(result.taskWeights[1][0])).toBe(1);
    expect(value(result.taskWeights[2][0])).toBe(4);
    expect(values(result.combined[0])).toEqual([2 + 8 + 2]);
  });

  it('moving average starts at zero and follows beta', () => {
    const transform = metaBalance({ beta: 0.9 });
    let state = transform.init(ops, { tasks: 2, sharedShapes: [[1]] });

    state = step(transform, [[[1]], [[10]]], [[1]], state).state;
    expect(value(state.tensors[movingAverageNormKey(1, 0)])).toBeCloseTo(1, 6);

    state = step(transform, [[[1]], [[10]]], [[1]], state).state;
    expect(value(state.tensors[movingAverageNormKey(1, 0)])).toBeCloseTo(1.9, 5);
    expect(value(state.tensors[movingAverageNormKey(0, 0)])).toBeCloseTo(0.19, 6);
  });
});

describe('metaBalance numerical safety', () => {
  it('auxiliary task with zero gradient contributes nothing and no NaN', () => {
    const transform = metaBalance();
    const state = transform.init(ops, { tasks: 2, sharedShapes: [[3]] });
    const result = step(transform, [[[1, 2, 2]], [[0, 0, 0]]], [[3]], state);

    expect(values(result.combined[0])).toEqual([1, 2, 2]);
    expect(value(result.taskWeights[1][0])).toBe(1);
    expect(value(result.finite)).toBe(1);
    expect(value(result.state.tensors[movingAverageNormKey(1, 0)])).toBe(0);
  });

  it('auxiliary zero gradient after history keeps a finite weight', () => {
    const transform = metaBalance({ beta: 0.5 });
    let state = transform.init(ops, { tasks: 2, sharedShapes: [[1]] });
    state = step(transform, [[[1]], [[4]]], [[1]], state).state;
    const result = step(transform, [[[1]], [[0]]], [[1]], state);

    expect(values(result.combined[0])).toEqual([1]);
    expect(Number.isFinite(value(result.taskWeights[1][0]))).toBe(true);
  });

  it('target with zero moving average gives the plain sum', () => {
    const transform = metaBalance({ relaxFactor: 0.7 });
    const state = transform.init(ops, { tasks: 3, sharedShapes: [[2]] });
    const result = step(transform, [[[0, 0]], [[3, 4]], [[-1, 0.5]]], [[2]], state);

    expect(values(result.combined[0])).toEqual([2, 4.5]);
    expect(value(result.taskWeights[1][0])).toBe(1);
    expect(value(result.taskWeights[2][0])).toBe(1);
  });

  it('shared tensor unused by the target gets the plain sum', () => {
    const transform = metaBalance();
    let state = transform.init(ops, { tasks: 2, sharedShapes: [[1], [1]] });
    for (let n = 0; n < 3; n++) {
      const result = step(transform, [[[1], [0]], [[3], [5]]], [[1], [1]], state);
      expect(values(result.combined[1])).toEqual([5]);
      state = result.state;
    }
  });

  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`${bad} in a gradient is reported and not stored`, () => {
      const transform = metaBalance();
      const spec = { tasks: 2, sharedShapes: [[2], [1]] };
      let state = transform.init(ops, spec);
      state = step(transform, [[[1, 1], [1]], [[2, 2], [2]]], spec.sharedShapes, state).state;
      const before = state.tensors;

      const result = step(transform, [[[1, 1], [1]], [[2, bad], [2]]], spec.sharedShapes, state);

      expect(value(result.finite)).toBe(0);
      for (const g of result.combined) expect(values(g).every((v) => v === 0)).toBe(true);
      for (const key of Object.keys(before)) {
        expect(values(result.state.tensors[key]), key).toEqual(values(before[key]));
      }
    });
  }

  it('overflowing norm is reported as non-finite', () => {
    const transform = metaBalance();
    const state = transform.init(ops, { tasks: 2, sharedShapes: [[2]] });
    const result = step(transform, [[[1, 1]], [[3e38, 3e38]]], [[2]], state);

    expect(value(result.finite)).toBe(0);
    expect(values(result.state.tensors[movingAverageNormKey(1, 0)])).toEqual([0]);
  });
});

describe('metaBalance validation', () => {
  it('rejects options out of range, naming the value', () => {
    expect(() => metaBalance({ relaxFactor: 1.5 })).toThrow(/options.relaxFactor must be in \[0, 1\], got 1.5/);
    expect(() => metaBalance({ relaxFactor: -0.1 })).toThrow(/got -0.1/);
    expect(() => metaBalance({ beta: 1 })).toThrow(/options.beta must be in \[0, 1\), got 1/);
    expect(() => metaBalance({ beta: NaN })).toThrow(/got NaN/);
    expect(() => metaBalance({ strategy: 'shrink' as never })).toThrow(/options.strategy must be one of both, reduce, enlarge, got "shrink"/);
  });

  it('rejects unknown options and non-numbers', () => {
    expect(() => metaBalance({ relax: 0.5 } as never)).toThrow(/unknown option "relax". Valid options: relaxFactor, beta, strategy/);
    expect(() => metaBalance({ relaxFactor: '0.5' as never })).toThrow(/options.relaxFactor must be a number, got string "0.5"/);
  });

  it('rejects plain numbers as gradients', () => {
    const transform = metaBalance();
    const state = transform.init(ops, { tasks: 2, sharedShapes: [[1]] });
    expect(() => transform.update(ops, { taskGradients: [[1 as never], [hostTensor([1], [1])]] }, state)).toThrow(
      /taskGradients\[0\]\[0\] must be a tensor of the backend.*got number 1/,
    );
  });

  it('accepts the boundary values', () => {
    expect(() => metaBalance({ relaxFactor: 0, beta: 0 })).not.toThrow();
    expect(() => metaBalance({ relaxFactor: 1, beta: 0.999 })).not.toThrow();
  });

  it('rejects fewer than two tasks', () => {
    const transform = metaBalance();
    expect(() => transform.init(ops, { tasks: 1, sharedShapes: [[2]] })).toThrow(/spec.tasks must be an integer of at least 2/);
    const state = transform.init(ops, { tasks: 2, sharedShapes: [[2]] });
    expect(() => transform.update(ops, { taskGradients: [[hostTensor([1, 2], [2])]] }, state)).toThrow(
      /taskGradients must hold at least 2 tasks.*got 1/,
    );
  });

  it('rejects mismatched tensor counts and shapes', () => {
    const transform = metaBalance();
    const state = transform.init(ops, { tasks: 2, sharedShapes: [[2], [1]] });
    const a = hostTensor([1, 2], [2]);
    const b = hostTensor([1], [1]);

    expect(() => transform.update(ops, { taskGradients: [[a, b], [a]] }, state)).toThrow(
      /taskGradients\[1\] has 1 tensors but taskGradients\[0\] has 2/,
    );
    expect(() => transform.update(ops, { taskGradients: [[a, b], [a, a]] }, state)).toThrow(
      /taskGradients\[1\]\[1\] has shape \[2\] but taskGradients\[0\]\[1\] has shape \[1\]/,
    );
  });

  it('rejects state from another configuration', () => {
    const gradients = [[hostTensor([1, 2], [2])], [hostTensor([3, 4], [2])]];
    const otherBeta = metaBalance({ beta: 0.5 }).init(ops, { tasks: 2, sharedShapes: [[2]] });
    const otherShape = metaBalance().init(ops, { tasks: 2, sharedShapes: [[3]] });
    const otherTasks = metaBalance().init(ops, { tasks: 3, sharedShapes: [[2]] });

    for (const state of [otherBeta, otherShape, otherTasks]) {
      expect(() => metaBalance().update(ops, { taskGradients: gradients }, state)).toThrow(InvalidArgumentError);
    }
    expect(() => metaBalance().update(ops, { taskGradients: gradients }, otherBeta)).toThrow(/state was built for/);
  });
});

describe('metaBalance state serialization', () => {
  const spec = { tasks: 3, sharedShapes: [[2, 2], [3]] };

  function gradientsAt(n: number): number[][][] {
    return [0, 1, 2].map((k) => [
      [0, 1, 2, 3].map((i) => Math.sin(n * 7 + k * 3 + i) * (k + 1) ** 2),
      [0, 1, 2].map((i) => Math.cos(n * 5 + k + i * 11) / (k + 1)),
    ]);
  }

  function run(transform: ReturnType<typeof metaBalance>, state: TransformState<HostTensor>, from: number, to: number) {
    let combined: HostTensor[] = [];
    for (let n = from; n < to; n++) {
      const result = step(transform, gradientsAt(n), spec.sharedShapes as number[][], state);
      state = result.state;
      combined = result.combined;
    }
    return { state, combined };
  }

  it('resumes from JSON with identical results', async () => {
    const transform = metaBalance({ relaxFactor: 0.8, beta: 0.7 });
    const straight = run(transform, transform.init(ops, spec), 0, 10);

    const half = run(transform, transform.init(ops, spec), 0, 5);
    const json = JSON.parse(JSON.stringify(await serializeState(half.state, (x) => x)));
    const resumed = run(transform, deserializeState(json, (host) => host), 5, 10);

    for (const key of Object.keys(straight.state.tensors)) {
      expect(values(resumed.state.tensors[key]), key).toEqual(values(straight.state.tensors[key]));
    }
    resumed.combined.forEach((g, j) => expect(values(g)).toEqual(values(straight.combined[j])));
  });

  it('rejects a serialized state with the wrong format or sizes', () => {
    expect(() => deserializeState({ format: 'other' } as never, (h) => h)).toThrow(/format must be "mb-transform-state\/1"/);
    const bad = {
      format: 'mb-transform-state/1' as const,
      method: 'metabalance',
      signature: 's',
      tensors: { a: { shape: [2], values: [1] } },
    };
    expect(() => deserializeState(bad, (h) => h)).toThrow(/tensor "a" has 1 values but shape \[2\] needs 2/);
  });
});
