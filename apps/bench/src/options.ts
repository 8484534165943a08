import { isAbsolute, resolve } from 'node:path';

/**
 * Raised for a bad command line. The CLI prints the message and exits with code 2, the usual
 * exit status for usage errors.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses a positive integer option such as `--epochs 3`. */
export function parsePositiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`--${option} must be a positive integer, got ${JSON.stringify(text)}.`);
  }
  return value;
}

/** Parses a non-negative integer option such as `--data-seed 0`. */
export function parseNonNegativeInteger(option: string, text: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value)) {
    throw new UsageError(`--${option} must be a non-negative integer, got ${JSON.stringify(text)}.`);
  }
  return value;
}

/** Parses a finite number option, optionally bounded; `min` and `max` are inclusive. */
export function parseNumber(option: string, text: string, bounds: { min?: number; max?: number; minExclusive?: boolean } = {}): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${option} must be a number, got ${JSON.stringify(text)}.`);
  }
  const { min, max, minExclusive = false } = bounds;
  const belowMin = min !== undefined && (minExclusive ? value <= min : value < min);
  const aboveMax = max !== undefined && value > max;
  if (belowMin || aboveMax) {
    const lower = min === undefined ? '' : `${minExclusive ? '>' : '>='} ${min}`;
    const upper = max === undefined ? '' : `<= ${max}`;
    const range = [lower, upper].filter((part) => part !== '').join(' and ');
    throw new UsageError(`--${option} must be ${range}, got ${JSON.stringify(text)}.`);
  }
  return value;
}

/** Splits a comma-separated list option, rejecting empty entries and duplicates. */
export function parseList(option: string, text: string): string[] {
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) {
    throw new UsageError(`--${option} must be a comma-separated list without empty entries, got ${JSON.stringify(text)}.`);
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry)) {
      throw new UsageError(`--${option} lists ${JSON.stringify(entry)} twice, got ${JSON.stringify(text)}.`);
    }
    seen.add(entry);
  }
  return entries;
}

/** Parses a list option whose entries must come from `allowed`. */
export function parseChoiceList<T extends string>(option: string, text: string, allowed: readonly T[]): T[] {
  const entries = parseList(option, text);
  for (const entry of entries) {
    if (!allowed.includes(entry as T)) {
      throw new UsageError(`--${option} has unknown entry ${JSON.stringify(entry)}; valid values are ${allowed.join(', ')}.`);
    }
  }
  return entries as T[];
}

/** Parses a single-choice option. */
export function parseChoice<T extends string>(option: string, text: string, allowed: readonly T[]): T {
  if (!allowed.includes(text as T)) {
    throw new UsageError(`--${option} must be one of ${allowed.join(', ')}, got ${JSON.stringify(text)}.`);
  }
  return text as T;
}

/**
 * Directory that relative paths on the command line are resolved against. `pnpm bench` runs
 * the script inside the app's folder, so there the directory the user typed the command in
 * (pnpm's `INIT_CWD`) is used instead of the process's working directory.
 */
export function invocationDirectory(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  if (env.npm_lifecycle_event !== undefined && env.INIT_CWD) return env.INIT_CWD;
  return cwd;
}

/** Resolves a path given on the command line against the invocation directory. */
export function resolveUserPath(path: string, base: string = invocationDirectory()): string {
  return isAbsolute(path) ? path : resolve(base, path);
}
