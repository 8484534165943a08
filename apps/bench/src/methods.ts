import { TRANSFORM_METHODS, createTransform, transformDescription, transformOptionNames } from '@mb/core';
import type { GradientTransform, MetaBalanceStrategy } from '@mb/core';

import { UsageError } from './options.js';

/** Option values that `--method-options` can give. */
export type MethodOptionValue = number | string | boolean;

/** Method options that the command line sets; each method reads the ones it uses. */
export interface MethodOptions {
  /** MetaBalance relax factor r in [0, 1]. */
  readonly relaxFactor: number;
  /** MetaBalance moving-average coefficient beta in [0, 1). */
  readonly beta: number;
  /** MetaBalance strategy: the auxiliary gradients it rescales. */
  readonly strategy: MetaBalanceStrategy;
  /** Further options by method name, from `--method-options`. */
  readonly methodOptions?: Readonly<Record<string, Readonly<Record<string, MethodOptionValue>>>>;
}

/** A balancing method that `--method` can name. */
export interface MethodEntry {
  /** One line for `--help`. */
  readonly description: string;
  /** Option names that `--method-options` accepts for the method. */
  readonly optionNames: readonly string[];
  /** Creates a fresh transform; called once per training run. */
  create(options: MethodOptions): GradientTransform;
}

function coreMethod(name: string): MethodEntry {
  return {
    description: transformDescription(name),
    optionNames: transformOptionNames(name),
    create: (options) => {
      const extra = options.methodOptions?.[name] ?? {};
      // The dedicated MetaBalance flags apply first, so `--method-options` can still override them.
      const base = name === 'metabalance' ? { relaxFactor: options.relaxFactor, beta: options.beta, strategy: options.strategy } : {};
      return createTransform(name, { ...base, ...extra });
    },
  };
}

/**
 * Methods by `--method` name: every transform in `@mb/core`'s registry, so a method added
 * there is available here without a change.
 */
export const METHODS: Readonly<Record<string, MethodEntry>> = {
  ...Object.fromEntries(TRANSFORM_METHODS.map((name) => [name, coreMethod(name)])),
};

/** Names accepted by `--method`, in registry order. */
export function methodNames(): string[] {
  return Object.keys(METHODS);
}

/** Creates the transform for a method name, rejecting unknown names with the valid ones. */
export function createMethod(name: string, options: MethodOptions): GradientTransform {
  if (!Object.hasOwn(METHODS, name)) {
    throw new UsageError(`--method has unknown entry ${JSON.stringify(name)}; valid values are ${methodNames().join(', ')}.`);
  }
  return METHODS[name].create(options);
}

/**
 * Parses `--method-options`, a comma-separated list of `METHOD.OPTION=VALUE` entries such as
 * `dwa.temperature=2,gcs.variant=weighted`. Values that read as numbers become numbers, `true`
 * and `false` become booleans and anything else stays a string; the method's factory checks them.
 */
export function parseMethodOptions(text: string): Record<string, Record<string, MethodOptionValue>> {
  const result: Record<string, Record<string, MethodOptionValue>> = {};
  for (const entry of text.split(',').map((part) => part.trim())) {
    const match = /^([a-z0-9_-]+)\.([A-Za-z0-9_]+)=(.+)$/.exec(entry);
    if (match === null) {
      throw new UsageError(`--method-options entries must look like METHOD.OPTION=VALUE, got ${JSON.stringify(entry)}.`);
    }
    const [, method, option, rawValue] = match;
    if (!Object.hasOwn(METHODS, method)) {
      throw new UsageError(`--method-options names unknown method ${JSON.stringify(method)}; valid values are ${methodNames().join(', ')}.`);
    }
    const allowed = METHODS[method].optionNames;
    if (!allowed.includes(option)) {
      const valid = allowed.length === 0 ? 'it takes no options' : `valid options are ${allowed.join(', ')}`;
      throw new UsageError(`--method-options has unknown option ${JSON.stringify(option)} for ${method}; ${valid}.`);
    }
    result[method] ??= {};
    result[method][option] = parseOptionValue(rawValue);
  }
  return result;
}

function parseOptionValue(text: string): MethodOptionValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) ? value : text;
}
