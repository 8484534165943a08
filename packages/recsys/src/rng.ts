import { InvalidArgumentError } from '@mb/core';

/**
 * A small seeded pseudo-random number generator (mulberry32, 32 bits of state).
 *
 * It is fast and reproducible on every platform, which is all sampling, shuffling and
 * initialisation need here. It is not cryptographically secure.
 */
export interface Rng {
  /** Next uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** Next uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Next uniform integer in [0, n), without modulo bias; n is an integer in [1, 2^32]. */
  nextInt(n: number): number;
  /** Next standard normal sample (Box-Muller transform). */
  nextNormal(): number;
}

const UINT32_RANGE = 2 ** 32;

/** Creates a mulberry32 generator from a safe-integer seed; equal seeds give equal streams. */
export function createRng(seed: number): Rng {
  checkSeed('createRng', seed);
  let state = mixSeedWords(seed);
  let spareNormal: number | null = null;

  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };

  const nextFloat = (): number => {
    const high = nextUint32() >>> 5; // 27 bits
    const low = nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  };

  const nextInt = (n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > UINT32_RANGE) {
      throw new InvalidArgumentError('Rng.nextInt', `n must be an integer in [1, 2^32], got ${n}.`);
    }
    // Rejects the top partial block of 2^32 so that every residue is equally likely.
    const limit = UINT32_RANGE - (UINT32_RANGE % n);
    for (;;) {
      const x = nextUint32();
      if (x < limit) return x % n;
    }
  };

  const nextNormal = (): number => {
    if (spareNormal !== null) {
      const value = spareNormal;
      spareNormal = null;
      return value;
    }
    const u1 = 1 - nextFloat(); // in (0, 1], so the logarithm is finite
    const u2 = nextFloat();
    const radius = Math.sqrt(-2 * Math.log(u1));
    spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  };

  return { nextUint32, nextFloat, nextInt, nextNormal };
}

/**
 * Derives a 32-bit seed from a base seed and labels (numbers or strings), so that separate
 * streams, for example one per epoch or per parameter, do not overlap by accident.
 */
export function deriveSeed(seed: number, ...labels: readonly (number | string)[]): number {
  checkSeed('deriveSeed', seed);
  let hash = mixSeedWords(seed);
  for (const label of labels) {
    if (typeof label === 'number') {
      checkSeed('deriveSeed', label);
      hash = fmix32(hash ^ mixSeedWords(label));
    } else {
      hash = fmix32(hash ^ fnv1a(label));
    }
    hash = (hash + 0x9e3779b9) >>> 0;
  }
  return hash;
}

/** Shuffles an array in place with the Fisher-Yates algorithm. */
export function shuffleInPlace<T extends { length: number; [index: number]: number }>(values: T, rng: Rng): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const swap = values[i];
    values[i] = values[j];
    values[j] = swap;
  }
  return values;
}

function checkSeed(operation: string, seed: number): void {
  if (!Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError(operation, `seed must be a safe integer, got ${seed}.`);
  }
}

/** Folds a safe integer (sign and both 32-bit words) into one well-mixed 32-bit value. */
function mixSeedWords(seed: number): number {
  const magnitude = Math.abs(seed);
  const low = magnitude >>> 0;
  const high = Math.floor(magnitude / UINT32_RANGE) >>> 0;
  const sign = seed < 0 ? 0x5bd1e995 : 0;
  return fmix32(fmix32(low ^ sign) ^ Math.imul(high + 1, 0x85ebca6b));
}

/** MurmurHash3's 32-bit finaliser: a bijection that spreads every input bit. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit FNV-1a hash of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
