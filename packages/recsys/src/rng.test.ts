import { InvalidArgumentError } from '@mb/core';
import { describe, expect, it } from 'vitest';

import { createRng, deriveSeed, shuffleInPlace } from './rng.js';

function draw(seed: number, count: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => rng.nextUint32());
}

describe('createRng', () => {
  it('repeats the stream for equal seeds', () => {
    expect(draw(42, 100)).toEqual(draw(42, 100));
  });

  it('gives different streams for different seeds', () => {
    const a = draw(1, 20);
    const b = draw(2, 20);
    const c = draw(-1, 20);
    const d = draw(2 ** 40 + 1, 20);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(d);
  });

  it('draws 32-bit integers', () => {
    for (const value of draw(7, 1000)) {
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(2 ** 32);
    }
  });

  it('draws floats in [0, 1) with mean near 1/2', () => {
    const rng = createRng(3);
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    const count = 20000;
    for (let n = 0; n < count; n++) {
      const value = rng.nextFloat();
      min = Math.min(min, value);
      max = Math.max(max, value);
      sum += value;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // Standard error of the mean is sqrt(1/12 / 20000) = 0.002.
    expect(Math.abs(sum / count - 0.5)).toBeLessThan(0.01);
  });

  it('draws integers below n uniformly', () => {
    const rng = createRng(11);
    const n = 7;
    const counts = new Array<number>(n).fill(0);
    const draws = 70000;
    for (let k = 0; k < draws; k++) counts[rng.nextInt(n)]++;
    // Chi-square with 6 degrees of freedom; 22.5 is its 0.999 quantile.
    const expected = draws / n;
    const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(22.5);
  });

  it('accepts n up to 2^32 in nextInt', () => {
    const rng = createRng(5);
    expect(rng.nextInt(1)).toBe(0);
    const value = rng.nextInt(2 ** 32);
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThan(2 ** 32);
  });

  it('rejects invalid n in nextInt', () => {
    const rng = createRng(5);
    expect(() => rng.nextInt(0)).toThrow(InvalidArgumentError);
    expect(() => rng.nextInt(2.5)).toThrow(/n must be an integer/);
    expect(() => rng.nextInt(2 ** 32 + 1)).toThrow(InvalidArgumentError);
  });

  it('draws standard normals', () => {
    const rng = createRng(9);
    const count = 40000;
    let sum = 0;
    let sumSquares = 0;
    for (let n = 0; n < count; n++) {
      const value = rng.nextNormal();
      sum += value;
      sumSquares += value * value;
    }
    const mean = sum / count;
    const variance = sumSquares / count - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  it('rejects non-integer seeds', () => {
    expect(() => createRng(1.5)).toThrow(InvalidArgumentError);
    expect(() => createRng(Number.NaN)).toThrow(/seed must be a safe integer/);
    expect(() => createRng(2 ** 60)).toThrow(InvalidArgumentError);
  });
});

describe('deriveSeed', () => {
  it('is a function of its inputs', () => {
    expect(deriveSeed(1, 'sampler', 3)).toBe(deriveSeed(1, 'sampler', 3));
  });

  it('separates labels, order and base seeds', () => {
    const seeds = new Set([
      deriveSeed(1),
      deriveSeed(2),
      deriveSeed(1, 'a'),
      deriveSeed(1, 'b'),
      deriveSeed(1, 0),
      deriveSeed(1, 1),
      deriveSeed(1, 'a', 'b'),
      deriveSeed(1, 'b', 'a'),
      deriveSeed(1, 'ab'),
    ]);
    expect(seeds.size).toBe(9);
  });

  it('returns 32-bit unsigned integers', () => {
    for (let epoch = 0; epoch < 50; epoch++) {
      const seed = deriveSeed(123, 'sampler', epoch);
      expect(Number.isInteger(seed)).toBe(true);
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThan(2 ** 32);
    }
  });
});

describe('shuffleInPlace', () => {
  it('permutes the values', () => {
    const values = Int32Array.from({ length: 100 }, (_, n) => n);
    shuffleInPlace(values, createRng(4));
    expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    expect([...values]).not.toEqual(Array.from({ length: 100 }, (_, n) => n));
  });

  it('is deterministic for a seed', () => {
    const a = shuffleInPlace(Int32Array.from({ length: 50 }, (_, n) => n), createRng(8));
    const b = shuffleInPlace(Int32Array.from({ length: 50 }, (_, n) => n), createRng(8));
    expect(a).toEqual(b);
  });

  it('puts each value at each position about equally often', () => {
    // 3 values have 6 permutations; each should appear near 1/6 of the time.
    const rng = createRng(12);
    const counts = new Map<string, number>();
    const trials = 6000;
    for (let t = 0; t < trials; t++) {
      const key = shuffleInPlace([0, 1, 2], rng).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const count of counts.values()) expect(Math.abs(count - trials / 6)).toBeLessThan(120);
  });
});
