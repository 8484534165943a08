import { InvalidArgumentError } from '../errors.js';
import type { GradientTransform } from '../transform.js';
import { dynamicWeightAverage, type DynamicWeightAverageOptions } from './dwa.js';
import { equalWeighting } from './equal_weighting.js';
import { gradientCosineSimilarity, type GradientCosineSimilarityOptions } from './gcs.js';
import { gradNorm, type GradNormOptions } from './gradnorm.js';
import { metaBalance, type MetaBalanceOptions } from './metabalance.js';
import { mgda, type MgdaOptions } from './mgda.js';
import { mtAdam, type MtAdamOptions } from './mtadam.js';
import { onlineAuxiliaryWeighting, type OnlineAuxiliaryWeightingOptions } from './olaux.js';
import { checkOptionNames } from './option_checks.js';
import { pcGrad, type PcGradOptions } from './pcgrad.js';
import { targetOnly } from './target_only.js';
import { uncertaintyWeighting, type UncertaintyWeightingOptions } from './uncertainty.js';

interface RegistryEntry {
  /** One line for help text. */
  readonly description: string;
  /** Option names the factory accepts; checked here because not every factory checks them. */
  readonly optionNames: readonly string[];
  /** Builds the transform. The factory checks option values and types. */
  create(options: Record<string, unknown>): GradientTransform;
}

// The casts are safe because every factory validates the values it reads at run time.
const REGISTRY: Readonly<Record<string, RegistryEntry>> = {
  single: {
    description: 'target task only: shared tensors get the target gradient alone',
    optionNames: [],
    create: () => targetOnly(),
  },
  equal: {
    description: 'plain sum of the task gradients (the summed loss)',
    optionNames: [],
    create: () => equalWeighting(),
  },
  metabalance: {
    description: 'MetaBalance: auxiliary gradients moved toward the target gradient magnitude per tensor',
    optionNames: ['relaxFactor', 'beta', 'strategy'],
    create: (options) => metaBalance(options as MetaBalanceOptions),
  },
  uncertainty: {
    description: 'uncertainty weighting: weights exp(-s_k) with learned log-variances s_k (needs losses)',
    optionNames: ['learningRate', 'optimizer', 'initialLogVariance', 'beta1', 'beta2', 'epsilon'],
    create: (options) => uncertaintyWeighting(options as UncertaintyWeightingOptions),
  },
  dwa: {
    description: 'dynamic weight average: softmax of recent loss ratios (needs losses)',
    optionNames: ['temperature', 'window'],
    create: (options) => dynamicWeightAverage(options as DynamicWeightAverageOptions),
  },
  gradnorm: {
    description: 'GradNorm: weights trained to equalise gradient norms on one shared tensor (needs losses)',
    optionNames: ['alpha', 'learningRate', 'sharedTensor'],
    create: (options) => gradNorm(options as GradNormOptions),
  },
  mgda: {
    description: 'MGDA: minimum-norm convex combination of the task gradients (Frank-Wolfe)',
    optionNames: ['iterations', 'scope'],
    create: (options) => mgda(options as MgdaOptions),
  },
  pcgrad: {
    description: 'PCGrad: conflicting components projected away, visiting order rotated each step',
    optionNames: ['scope'],
    create: (options) => pcGrad(options as PcGradOptions),
  },
  gcs: {
    description: 'gradient cosine similarity: auxiliary gradients kept where their cosine with the target is positive',
    optionNames: ['variant', 'scope'],
    create: (options) => gradientCosineSimilarity(options as GradientCosineSimilarityOptions),
  },
  olaux: {
    description: 'OL-AUX: auxiliary weights moved by their dot product with the target gradient',
    optionNames: ['learningRate', 'horizon', 'initialWeight'],
    create: (options) => onlineAuxiliaryWeighting(options as OnlineAuxiliaryWeightingOptions),
  },
  mtadam: {
    description: 'MTAdam: per-task Adam moments after rescaling to the target gradient norm',
    optionNames: ['beta1', 'beta2', 'beta3', 'epsilon'],
    create: (options) => mtAdam(options as MtAdamOptions),
  },
};

/** Names accepted by `createTransform`, in the order the bench lists them. */
export const TRANSFORM_METHODS: readonly string[] = Object.freeze(Object.keys(REGISTRY));

/** One-line description of method `name`, for help text. */
export function transformDescription(name: string): string {
  return entryFor('transformDescription', name).description;
}

/** Names of the options that method `name` accepts, for help text. */
export function transformOptionNames(name: string): readonly string[] {
  return entryFor('transformOptionNames', name).optionNames;
}

/**
 * Builds the transform registered as `name` (see `TRANSFORM_METHODS`) with `options`, for
 * example `createTransform('metabalance', { relaxFactor: 0.5 })`. Rejects an unknown name, an
 * unknown option name and an invalid option value with `InvalidArgumentError`.
 */
export function createTransform(name: string, options: Record<string, unknown> = {}): GradientTransform {
  const operation = 'createTransform';
  const entry = entryFor(operation, name);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(operation, `options must be an object, got ${JSON.stringify(options)}.`);
  }
  checkOptionNames(`${operation}("${name}")`, options, entry.optionNames);
  return entry.create(options);
}

function entryFor(operation: string, name: string): RegistryEntry {
  if (!Object.hasOwn(REGISTRY, name)) {
    throw new InvalidArgumentError(
      operation,
      `unknown method ${JSON.stringify(name)}. Valid methods: ${TRANSFORM_METHODS.join(', ')}.`,
    );
  }
  return REGISTRY[name];
}
