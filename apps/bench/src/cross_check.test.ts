import { describe, expect, it } from 'vitest';

import { crossCheckRuns, relativeLossDifferences } from './cross_check.js';
import type { RunResult } from './results.js';

function run(backend: string, method: string, seed: number, stepLosses: number[][]): RunResult {
  return {
    backend,
    method,
    seed,
    methodOptions: {},
    status: 'completed',
    epochs: [],
    stepLosses,
    gradientSamples: [],
    trainSeconds: 1,
    evaluationSeconds: 0,
  };
}

describe('relativeLossDifferences', () => {
  it('takes the maximum over tasks and backends per step', () => {
    const reference = [[1, 2], [0.5, 4]];
    const close = [[1.001, 2], [0.5, 4]];
    const far = [[1, 2.2], [0.5, 4]];
    const differences = relativeLossDifferences([reference, close, far]);
    expect(differences).toHaveLength(2);
    expect(differences[0]).toBeCloseTo(0.1, 12);
    expect(differences[1]).toBe(0);
  });

  it('stops at the shortest history', () => {
    expect(relativeLossDifferences([[[1], [1], [1]], [[1], [1]]])).toHaveLength(2);
  });

  it('gives NaN for a non-finite loss', () => {
    expect(relativeLossDifferences([[[1]], [[Number.NaN]]])[0]).toBeNaN();
  });
});

describe('crossCheckRuns', () => {
  it('groups runs by method and seed', () => {
    const runs = [
      run('a', 'equal', 1, [[1], [1]]),
      run('b', 'equal', 1, [[1], [1.01]]),
      run('a', 'equal', 2, [[1], [1]]),
      run('b', 'equal', 2, [[1], [1]]),
      run('a', 'single', 1, [[1]]),
    ];
    const checks = crossCheckRuns(runs, 1e-3);
    expect(checks.map((check) => [check.method, check.seed])).toEqual([
      ['equal', 1],
      ['equal', 2],
    ]);
    expect(checks[0].backends).toEqual(['a', 'b']);
    expect(checks[0].maxRelativeDifference).toBeCloseTo(0.01, 12);
    expect(checks[0].maxStep).toBe(2);
    expect(checks[0].firstStepAboveTolerance).toBe(2);
    expect(checks[0].exceedsTolerance).toBe(true);
    expect(checks[1].maxRelativeDifference).toBe(0);
    expect(checks[1].firstStepAboveTolerance).toBe(0);
    expect(checks[1].exceedsTolerance).toBe(false);
  });

  it('treats a NaN step as exceeding the tolerance', () => {
    const checks = crossCheckRuns([run('a', 'equal', 1, [[1], [1]]), run('b', 'equal', 1, [[1], [Number.NaN]])], 1e-3);
    expect(checks[0].maxRelativeDifference).toBeNaN();
    expect(checks[0].maxStep).toBe(2);
    expect(checks[0].exceedsTolerance).toBe(true);
  });
});
