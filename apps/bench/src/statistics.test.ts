import { describe, expect, it } from 'vitest';

import { meanAndDeviation } from './statistics.js';

describe('meanAndDeviation', () => {
  it('uses the sample standard deviation', () => {
    const result = meanAndDeviation([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(result.mean).toBe(5);
    // Sum of squared deviations is 32, divided by n - 1 = 7.
    expect(result.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(result.count).toBe(8);
  });

  it('has no deviation for one value', () => {
    expect(meanAndDeviation([0.25])).toEqual({ mean: 0.25, std: null, count: 1 });
  });

  it('gives NaN for no values', () => {
    expect(meanAndDeviation([]).mean).toBeNaN();
  });
});
