import { InvalidArgumentError } from '@mb/core';
import type { MetaBalanceStrategy } from '@mb/core';
import { DATASET_FORMATS, SYNTHETIC_DEFAULTS } from '@mb/recsys';
import type { DatasetFormat } from '@mb/recsys';

import { findTrainingBackend, trainingBackendNames } from './backends/registry.js';
import { formatDefinitions, formatOptionHelp, parseCommandLine } from './command_line.js';
import type { OptionSpec } from './command_line.js';
import { METHODS, createMethod, methodNames, parseMethodOptions } from './methods.js';
import type { MethodOptionValue } from './methods.js';
import {
  UsageError,
  parseChoice,
  parseChoiceList,
  parseList,
  parseNonNegativeInteger,
  parseNumber,
  parsePositiveInteger,
  resolveUserPath,
} from './options.js';

/** Source of the training data: the synthetic generator or a file. */
export type DataSource =
  | { readonly kind: 'synthetic'; readonly users?: number; readonly items?: number; readonly clicksPerUser?: number; readonly seed?: number }
  | { readonly kind: 'file'; readonly path: string; readonly format: DatasetFormat };

/** NeuMF sizes other than the user and item counts, which come from the dataset. */
export interface ModelSize {
  readonly gmfDim: number;
  readonly mlpDim: number;
  readonly hidden: readonly number[];
}

/** Everything a `train` run needs, after defaults were applied. */
export interface TrainConfig {
  readonly data: DataSource;
  readonly backends: readonly string[];
  readonly methods: readonly string[];
  readonly seeds: readonly number[];
  readonly epochs: number;
  readonly batchSize: number;
  readonly negatives: number;
  readonly model: ModelSize;
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly relaxFactor: number;
  readonly beta: number;
  readonly strategy: MetaBalanceStrategy;
  /** Further method options by method name, from `--method-options`. */
  readonly methodOptions: Readonly<Record<string, Readonly<Record<string, MethodOptionValue>>>>;
  /** Gradient magnitudes are recorded every this many steps. */
  readonly logEvery: number;
  /** Users scored per `scoreAllItems` call during evaluation. */
  readonly evalBatchUsers: number;
  /** Relative loss difference between backends above which the bench warns. */
  readonly crossCheckTolerance: number;
  readonly onnxThreads?: number;
  /** Output folder, absolute. */
  readonly out: string;
}

export const TRAIN_DEFAULTS = {
  backends: ['tfjs-cpu', 'onnx-cpu'],
  methods: ['single', 'equal', 'metabalance'],
  seeds: [1],
  epochs: 1,
  batchSize: 256,
  negatives: 1,
  factor: 8,
  learningRate: 1e-3,
  weightDecay: 1e-7,
  relaxFactor: 0.7,
  beta: 0.9,
  strategy: 'both' as MetaBalanceStrategy,
  logEvery: 10,
  evalBatchUsers: 256,
  crossCheckTolerance: 1e-3,
} as const;

const STRATEGIES: readonly MetaBalanceStrategy[] = ['both', 'reduce', 'enlarge'];

/** The options of `train`, in `--help` order. */
export const TRAIN_OPTIONS: readonly OptionSpec[] = [
  { name: 'data', value: 'PATH', description: 'dataset file or folder to load; without it a seeded synthetic dataset is generated', defaultText: 'synthetic' },
  { name: 'format', value: 'NAME', description: `format of --data: ${DATASET_FORMATS.join(', ')}; required with --data` },
  { name: 'synthetic-users', value: 'N', description: 'users of the synthetic dataset', defaultText: String(SYNTHETIC_DEFAULTS.users) },
  { name: 'synthetic-items', value: 'N', description: 'items of the synthetic dataset', defaultText: String(SYNTHETIC_DEFAULTS.items) },
  { name: 'synthetic-clicks', value: 'N', description: 'mean distinct clicked items per user of the synthetic dataset', defaultText: String(SYNTHETIC_DEFAULTS.clicksPerUser) },
  { name: 'data-seed', value: 'N', description: 'seed of the synthetic dataset, fixed across --seeds', defaultText: String(SYNTHETIC_DEFAULTS.seed) },
  { name: 'backend', value: 'LIST', description: `comma-separated backends: ${trainingBackendNames().join(', ')}`, defaultText: TRAIN_DEFAULTS.backends.join(',') },
  { name: 'method', value: 'LIST', description: `comma-separated balancing methods: ${methodNames().join(', ')}`, defaultText: TRAIN_DEFAULTS.methods.join(',') },
  { name: 'seeds', value: 'LIST', description: 'comma-separated training seeds (initial parameters, negatives, batch order); one run per seed', defaultText: TRAIN_DEFAULTS.seeds.join(',') },
  { name: 'epochs', value: 'N', description: 'passes over the training examples', defaultText: String(TRAIN_DEFAULTS.epochs) },
  { name: 'batch-size', value: 'N', description: 'examples per training step', defaultText: String(TRAIN_DEFAULTS.batchSize) },
  { name: 'negatives', value: 'N', description: 'sampled negative examples per observed pair, resampled each epoch', defaultText: String(TRAIN_DEFAULTS.negatives) },
  { name: 'factor', value: 'N', description: 'NeuMF predictive factor f: GMF width f, MLP embedding width 4f, MLP layers 4f,2f,f', defaultText: String(TRAIN_DEFAULTS.factor) },
  { name: 'gmf-dim', value: 'N', description: 'GMF embedding width, overriding --factor' },
  { name: 'mlp-dim', value: 'N', description: 'MLP embedding width, overriding --factor' },
  { name: 'hidden', value: 'LIST', description: 'comma-separated MLP layer widths, overriding --factor' },
  { name: 'lr', value: 'X', description: 'Adam learning rate', defaultText: String(TRAIN_DEFAULTS.learningRate) },
  { name: 'weight-decay', value: 'X', description: 'Adam L2 weight decay, added to the gradient as in PyTorch Adam', defaultText: String(TRAIN_DEFAULTS.weightDecay) },
  { name: 'relax-factor', value: 'X', description: 'MetaBalance relax factor r in [0, 1]', defaultText: String(TRAIN_DEFAULTS.relaxFactor) },
  { name: 'beta', value: 'X', description: 'MetaBalance moving-average coefficient in [0, 1)', defaultText: String(TRAIN_DEFAULTS.beta) },
  { name: 'strategy', value: 'NAME', description: `MetaBalance strategy: ${STRATEGIES.join(', ')}`, defaultText: TRAIN_DEFAULTS.strategy },
  { name: 'method-options', value: 'LIST', description: 'comma-separated METHOD.OPTION=VALUE settings for other methods, for example dwa.temperature=2 (see the method list below)' },
  { name: 'log-every', value: 'N', description: 'record gradient magnitudes for the report every N steps', defaultText: String(TRAIN_DEFAULTS.logEvery) },
  { name: 'eval-batch-users', value: 'N', description: 'users scored per batch during evaluation (bounds memory)', defaultText: String(TRAIN_DEFAULTS.evalBatchUsers) },
  { name: 'cross-check-tolerance', value: 'X', description: 'maximum relative loss difference between backends before a warning', defaultText: String(TRAIN_DEFAULTS.crossCheckTolerance) },
  { name: 'onnx-threads', value: 'N', description: 'ONNX Runtime intra-op threads', defaultText: "ONNX Runtime's default" },
  { name: 'out', value: 'DIR', description: 'folder for results.json and report.html, created before the data is loaded', defaultText: 'bench-results/<UTC timestamp>' },
];

/** Help text of `train`. */
export function trainHelp(): string {
  return [
    'Usage: mb-bench [train] [options]',
    '',
    'Trains NeuMF on a multi-behaviour dataset with every chosen backend, method and seed, evaluates',
    'the target behaviour by full ranking (NDCG and Recall at 10 and 20), prints tables and writes',
    'results.json and a self-contained report.html. With two or more backends every run of a seed',
    'starts from the same parameters and sees the same batches, and the losses are compared.',
    '',
    'Before training, every chosen backend is started once. If one cannot start (for example',
    'tfjs-node when @tensorflow/tfjs-node is not installed), the command stops before any run and',
    'writes no results; drop that backend from --backend to run the others. A run that fails',
    'during training is recorded and the other runs still finish and are reported.',
    '',
    'Exit status: 0 on success; 1 when a backend cannot start, a run fails, the data cannot be',
    'loaded or the results cannot be written; 2 for an invalid command line, including an --out',
    'that cannot be used as a folder. Expected errors print one line; set MB_BENCH_DEBUG=1 to add the',
    'stack trace of a data or file error.',
    '',
    'Options:',
    formatOptionHelp(TRAIN_OPTIONS),
    '',
    'Methods (options for --method-options in brackets):',
    formatDefinitions(
      methodNames().map((name) => {
        const entry = METHODS[name];
        const options = entry.optionNames.length === 0 ? '' : ` [${entry.optionNames.join(', ')}]`;
        return { term: name, text: `${entry.description}${options}` };
      }),
    ),
  ].join('\n');
}

/** Parses `train`'s arguments; returns `null` when `--help` was given. */
export function parseTrainOptions(args: readonly string[], now: Date = new Date()): TrainConfig | null {
  const { values, help } = parseCommandLine('train', args, TRAIN_OPTIONS, 0);
  if (help) return null;

  const data = parseDataSource(values);
  const backends = parseList('backend', values.backend ?? TRAIN_DEFAULTS.backends.join(','));
  for (const name of backends) findTrainingBackend(name);
  const methods = parseChoiceList('method', values.method ?? TRAIN_DEFAULTS.methods.join(','), methodNames());
  const seeds = parseList('seeds', values.seeds ?? TRAIN_DEFAULTS.seeds.join(',')).map((text) => parseNonNegativeInteger('seeds', text));

  const factor = values.factor === undefined ? TRAIN_DEFAULTS.factor : parsePositiveInteger('factor', values.factor);
  const model: ModelSize = {
    gmfDim: values['gmf-dim'] === undefined ? factor : parsePositiveInteger('gmf-dim', values['gmf-dim']),
    mlpDim: values['mlp-dim'] === undefined ? 4 * factor : parsePositiveInteger('mlp-dim', values['mlp-dim']),
    hidden: values.hidden === undefined ? [4 * factor, 2 * factor, factor] : parseList('hidden', values.hidden).map((text) => parsePositiveInteger('hidden', text)),
  };

  const methodOptions = values['method-options'] === undefined ? {} : parseMethodOptions(values['method-options']);
  const onnxThreads = values['onnx-threads'] === undefined ? undefined : parsePositiveInteger('onnx-threads', values['onnx-threads']);
  const config: TrainConfig = {
    data,
    backends,
    methods,
    seeds,
    epochs: optional(values.epochs, TRAIN_DEFAULTS.epochs, (text) => parsePositiveInteger('epochs', text)),
    batchSize: optional(values['batch-size'], TRAIN_DEFAULTS.batchSize, (text) => parsePositiveInteger('batch-size', text)),
    negatives: optional(values.negatives, TRAIN_DEFAULTS.negatives, (text) => parseNonNegativeInteger('negatives', text)),
    model,
    learningRate: optional(values.lr, TRAIN_DEFAULTS.learningRate, (text) => parseNumber('lr', text, { min: 0, minExclusive: true })),
    weightDecay: optional(values['weight-decay'], TRAIN_DEFAULTS.weightDecay, (text) => parseNumber('weight-decay', text, { min: 0 })),
    relaxFactor: optional(values['relax-factor'], TRAIN_DEFAULTS.relaxFactor, (text) => parseNumber('relax-factor', text, { min: 0, max: 1 })),
    beta: optional(values.beta, TRAIN_DEFAULTS.beta, (text) => parseBeta(text)),
    strategy: optional(values.strategy, TRAIN_DEFAULTS.strategy, (text) => parseChoice('strategy', text, STRATEGIES)),
    methodOptions,
    logEvery: optional(values['log-every'], TRAIN_DEFAULTS.logEvery, (text) => parsePositiveInteger('log-every', text)),
    evalBatchUsers: optional(values['eval-batch-users'], TRAIN_DEFAULTS.evalBatchUsers, (text) => parsePositiveInteger('eval-batch-users', text)),
    crossCheckTolerance: optional(values['cross-check-tolerance'], TRAIN_DEFAULTS.crossCheckTolerance, (text) =>
      parseNumber('cross-check-tolerance', text, { min: 0, minExclusive: true }),
    ),
    ...(onnxThreads === undefined ? {} : { onnxThreads }),
    out: resolveUserPath(values.out ?? defaultOutputFolder(now)),
  };
  checkMethodsCreate(config);
  return config;
}

/** Creates each chosen method once, so that an invalid method option is a usage error before any work. */
function checkMethodsCreate(config: TrainConfig): void {
  for (const method of config.methods) {
    try {
      createMethod(method, config);
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw new UsageError(`--method-options for ${method} is invalid: ${error.message}`);
      throw error;
    }
  }
}

function optional<T>(text: string | undefined, fallback: T, parse: (text: string) => T): T {
  return text === undefined ? fallback : parse(text);
}

function parseBeta(text: string): number {
  const beta = parseNumber('beta', text, { min: 0 });
  if (beta >= 1) throw new UsageError(`--beta must be >= 0 and < 1, got ${JSON.stringify(text)}.`);
  return beta;
}

function parseDataSource(values: Readonly<Record<string, string | undefined>>): DataSource {
  const syntheticFlags = ['synthetic-users', 'synthetic-items', 'synthetic-clicks', 'data-seed'].filter((name) => values[name] !== undefined);
  if (values.data === undefined) {
    if (values.format !== undefined) throw new UsageError(`--format ${values.format} needs --data PATH.`);
    return {
      kind: 'synthetic',
      ...(values['synthetic-users'] === undefined ? {} : { users: parsePositiveInteger('synthetic-users', values['synthetic-users']) }),
      ...(values['synthetic-items'] === undefined ? {} : { items: parsePositiveInteger('synthetic-items', values['synthetic-items']) }),
      ...(values['synthetic-clicks'] === undefined ? {} : { clicksPerUser: parseNumber('synthetic-clicks', values['synthetic-clicks'], { min: 1 }) }),
      ...(values['data-seed'] === undefined ? {} : { seed: parseNonNegativeInteger('data-seed', values['data-seed']) }),
    };
  }
  if (syntheticFlags.length > 0) {
    throw new UsageError(`--${syntheticFlags[0]} applies to the synthetic dataset only and cannot be combined with --data.`);
  }
  if (values.format === undefined) {
    throw new UsageError(`--data needs --format, one of ${DATASET_FORMATS.join(', ')}.`);
  }
  return { kind: 'file', path: resolveUserPath(values.data), format: parseChoice('format', values.format, DATASET_FORMATS) };
}

/** `bench-results/<UTC timestamp>` relative to the invocation directory, safe in file names. */
export function defaultOutputFolder(now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return `bench-results/${stamp}`;
}
