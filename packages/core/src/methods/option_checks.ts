import { InvalidArgumentError } from '../errors.js';
import { checkRange } from '../validation.js';

/**
 * Rejects option names that a method does not define, so that a misspelt option fails instead
 * of silently keeping its default.
 */
export function checkOptionNames(operation: string, options: object, allowed: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (!allowed.includes(name)) {
      const valid = allowed.length === 0 ? 'none' : allowed.join(', ');
      throw new InvalidArgumentError(operation, `unknown option "${name}". Valid options: ${valid}.`);
    }
  }
}

/** Checks that a value is a number in a range. Non-numbers are rejected with their JSON form. */
export function checkNumber(
  operation: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
  maxInclusive: boolean,
): number {
  if (typeof value !== 'number') {
    throw new InvalidArgumentError(operation, `${name} must be a number, got ${JSON.stringify(value)}.`);
  }
  checkRange(operation, name, value, min, max, maxInclusive);
  return value;
}

/** Checks that a value is a number greater than `min` (exclusive) and finite. */
export function checkPositive(operation: string, name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > min)) {
    throw new InvalidArgumentError(
      operation,
      `${name} must be a finite number greater than ${min}, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Checks that a value is an integer in `[min, max]`. */
export function checkInteger(operation: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      operation,
      `${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Checks that a value is a boolean. */
export function checkBoolean(operation: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(operation, `${name} must be true or false, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Checks that a value is one of a fixed list of strings. */
export function checkChoice<C extends string>(operation: string, name: string, value: unknown, choices: readonly C[]): C {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      operation,
      `${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}.`,
    );
  }
  return value as C;
}
