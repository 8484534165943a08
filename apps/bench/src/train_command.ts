import { constants } from 'node:fs';
import { access, mkdir, rmdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';

import { createSampler, initNeuMFParameters, loadDataset, neumfLayout, syntheticDataset } from '@mb/recsys';
import type { HostTensor } from '@mb/core';
import type { MultiBehaviorDataset, NeuMFConfig } from '@mb/recsys';

import { findTrainingBackend } from './backends/registry.js';
import { BackendUnavailableError } from './backends/types.js';
import type { BackendEntry, LoadedBackend } from './backends/types.js';
import { crossCheckRuns } from './cross_check.js';
import { createMethod } from './methods.js';
import { UsageError } from './options.js';
import { createProgress } from './progress.js';
import type { ProgressStream, Progress } from './progress.js';
import { renderHtmlReport } from './report/html.js';
import { formatCrossCheckTable, formatSummaryTables } from './report/table.js';
import { summarizeRuns } from './results.js';
import type { BenchReport, DatasetRecord, RunResult } from './results.js';
import type { TrainConfig } from './train_options.js';
import { trainRun } from './training_run.js';

/** Streams a command writes to; tests pass string collectors. */
export interface CommandStreams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
}

/** Hooks for tests: a different backend lookup. */
export interface TrainHooks {
  readonly findBackend?: (name: string) => BackendEntry;
}

/**
 * Runs `train`: creates the output folder, loads the data, checks that every backend starts,
 * trains every seed, method and backend, then prints the tables and writes results.json and
 * report.html. Returns the exit status: 0, or 1 when a backend is unavailable, a run failed or
 * the results could not be written. Throws `UsageError` when `--out` cannot be used as a folder,
 * and the loader's error when the data cannot be loaded.
 */
export async function runTrainCommand(config: TrainConfig, streams: CommandStreams, hooks: TrainHooks = {}): Promise<number> {
  const startedAt = new Date();
  const progress = createProgress(streams.stderr);
  const lookup = hooks.findBackend ?? findTrainingBackend;

  const createdFolder = await prepareOutputFolder(config.out);
  let report: BenchReport;
  try {
    const trained = await trainAll(config, progress, lookup, startedAt);
    if (typeof trained === 'number') {
      await removeEmptyFolders(config.out, createdFolder);
      return trained;
    }
    report = trained;
  } catch (error) {
    await removeEmptyFolders(config.out, createdFolder);
    throw error;
  }

  // The tables come first, so that a failure to write the files loses no result.
  streams.stdout.write(`${formatSummaryTables(report)}\n`);
  if (report.crossChecks.length > 0) streams.stdout.write(`\n${formatCrossCheckTable(report.crossChecks)}\n`);
  const written = await writeResults(config.out, report, progress);
  streams.stdout.write(`\n${written.map((file) => `${file.label} ${file.ok ? file.path : 'not written'}`).join('\n')}\n`);

  const failed = report.runs.filter((run) => run.status === 'failed');
  for (const run of failed) progress.message(`error: ${run.backend} ${run.method} seed ${run.seed} failed: ${run.error}`);
  return failed.length > 0 || written.some((file) => !file.ok) ? 1 : 0;
}

/**
 * Loads the data, starts the backends and trains every run. Returns the report, or the exit
 * status 1 when a backend failed to start.
 */
async function trainAll(
  config: TrainConfig,
  progress: Progress,
  lookup: (name: string) => BackendEntry,
  startedAt: Date,
): Promise<BenchReport | number> {
  const dataset = await loadTrainingData(config, progress);
  describeDataset(dataset, progress);
  const model: NeuMFConfig = {
    users: dataset.users,
    items: dataset.items,
    gmfDim: config.model.gmfDim,
    mlpDim: config.model.mlpDim,
    hidden: config.model.hidden,
    tasks: dataset.behaviors.length,
  };
  const layout = neumfLayout(model);

  const backends: LoadedBackend[] = [];
  for (const name of config.backends) {
    try {
      backends.push(await startBackend(lookup(name), config));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      progress.message(error instanceof BackendUnavailableError ? `error: ${message}` : `error: backend ${name} failed to start: ${message}`);
      progress.message(`No training run was started. Remove ${name} from --backend to run the other backends.`);
      return 1;
    }
  }

  const runs: RunResult[] = [];
  const total = config.seeds.length * config.methods.length * backends.length;
  let examplesPerEpoch = 0;
  for (const seed of config.seeds) {
    const sampler = createSampler(dataset, { negativesPerPositive: config.negatives, seed });
    examplesPerEpoch = sampler.epochSize();
    const initialParameters = initNeuMFParameters(model, seed);
    for (const method of config.methods) {
      for (const backend of backends) {
        const label = `[${runs.length + 1}/${total}] ${backend.name} ${method} seed ${seed}`;
        const run = await trainRun(
          {
            backend,
            method,
            seed,
            transform: createMethod(method, config),
            dataset,
            sampler,
            model,
            initialParameters,
            adam: { learningRate: config.learningRate, weightDecay: config.weightDecay },
            epochs: config.epochs,
            batchSize: config.batchSize,
            logEvery: config.logEvery,
            evalBatchUsers: config.evalBatchUsers,
            label,
          },
          progress,
        );
        runs.push(run);
      }
    }
  }

  const crossChecks = crossCheckRuns(runs, config.crossCheckTolerance);
  for (const check of crossChecks.filter((c) => c.exceedsTolerance)) {
    progress.message(
      `warning: losses of ${check.backends.join(' and ')} differ by up to ${check.maxRelativeDifference.toExponential(2)} ` +
        `(relative, step ${check.maxStep}) for ${check.method} seed ${check.seed}, above the tolerance ${check.tolerance}.`,
    );
  }

  const finishedAt = new Date();
  const report: BenchReport = {
    tool: 'mb-bench',
    formatVersion: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    environment: environment(),
    config: { ...config },
    dataset: datasetRecord(dataset, config, examplesPerEpoch),
    model: { ...model },
    sharedTensors: layout.shared.map((spec) => spec.name),
    runs,
    summary: summarizeRuns(runs),
    crossChecks,
  };

  return report;
}

/**
 * Creates the output folder and checks that it is writable, so that a bad `--out` is a usage
 * error before any work. Returns the first folder it created, as `mkdir` does, or undefined.
 */
async function prepareOutputFolder(folder: string): Promise<string | undefined> {
  try {
    const created = await mkdir(folder, { recursive: true });
    await access(folder, constants.W_OK);
    return created;
  } catch (error) {
    throw new UsageError(`--out ${folder} cannot be used as the output folder: ${describeFolderError(error)}. Choose another folder.`);
  }
}

function describeFolderError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') return 'a file with that name exists';
  if (code === 'ENOTDIR') return 'part of the path is a file, not a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Removes the folders that `prepareOutputFolder` created, from `folder` up to `created`, when the
 * command stops before writing results. `rmdir` removes empty folders only, so nothing written
 * there by anyone else is lost.
 */
async function removeEmptyFolders(folder: string, created: string | undefined): Promise<void> {
  if (created === undefined) return;
  let current = folder;
  while (current.startsWith(created)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    if (current === created) return;
    current = dirname(current);
  }
}

/** Writes results.json and report.html. A file that cannot be written is reported on stderr. */
async function writeResults(folder: string, report: BenchReport, progress: Progress): Promise<{ label: string; path: string; ok: boolean }[]> {
  const files = [
    { label: 'Results:', path: join(folder, 'results.json'), render: () => `${JSON.stringify(report, jsonReplacer, 1)}\n` },
    { label: 'Report: ', path: join(folder, 'report.html'), render: () => renderHtmlReport(report) },
  ];
  const written: { label: string; path: string; ok: boolean }[] = [];
  for (const file of files) {
    try {
      await writeFile(file.path, file.render());
      written.push({ label: file.label, path: file.path, ok: true });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      progress.message(`error: could not write ${file.path}: ${reason}`);
      written.push({ label: file.label, path: file.path, ok: false });
    }
  }
  return written;
}

/** Loads the configured dataset, reporting progress. */
async function loadTrainingData(config: TrainConfig, progress: Progress): Promise<MultiBehaviorDataset> {
  const source = config.data;
  if (source.kind === 'synthetic') {
    const { kind: _kind, ...options } = source;
    progress.message('generating the synthetic dataset');
    return syntheticDataset(options);
  }
  progress.message(`loading ${source.path} as ${source.format}`);
  return loadDataset(source.path, source.format, { onProgress: (message) => progress.update(`loading: ${message}`) });
}

/** Reports the dataset's counts and every row a loader skipped, with the reason. */
function describeDataset(dataset: MultiBehaviorDataset, progress: Progress): void {
  const pairs = dataset.behaviors.map((behavior, b) => `${behavior} ${dataset.train[b].users.length}`).join(', ');
  progress.message(
    `dataset ${dataset.name}: ${dataset.users} users, ${dataset.items} items; training pairs ${pairs}; ` +
      `held-out ${dataset.behaviors[0]} pairs: validation ${dataset.validation.users.length}, test ${dataset.test.users.length}`,
  );
  for (const file of dataset.loadReport?.files ?? []) {
    const skipped = Object.entries(file.skipped).filter(([, count]) => count > 0);
    if (skipped.length === 0) continue;
    const reasons = skipped.map(([reason, count]) => `${count} ${reason}`).join(', ');
    progress.message(`${file.path}: kept ${file.rowsKept} of ${file.rowsRead} rows, skipped ${reasons}`);
  }
}

/**
 * Loads a backend's adapter and creates and disposes a trainer for a tiny model, so that a
 * missing native library or device is reported before any training starts.
 */
async function startBackend(entry: BackendEntry, config: TrainConfig): Promise<LoadedBackend> {
  const loaded = await entry.load(config.onnxThreads === undefined ? {} : { onnxThreads: config.onnxThreads });
  if (loaded.createTrainer === undefined) {
    throw new BackendUnavailableError(entry.name, 'it has no NeuMF trainer.');
  }
  const probe: NeuMFConfig = { users: 2, items: 2, gmfDim: 1, mlpDim: 1, hidden: [1], tasks: 2 };
  const layout = neumfLayout(probe);
  const parameters: Record<string, HostTensor> = {};
  for (const spec of [...layout.shared, ...layout.taskSpecific]) {
    parameters[spec.name] = { shape: spec.shape, values: new Float32Array(spec.shape.reduce((a, b) => a * b, 1)) };
  }
  const trainer = await loaded.createTrainer({ model: probe, initialParameters: parameters, transform: createMethod('equal', config) });
  await trainer.dispose();
  return loaded;
}

function datasetRecord(dataset: MultiBehaviorDataset, config: TrainConfig, examplesPerEpoch: number): DatasetRecord {
  return {
    name: dataset.name,
    source: config.data.kind === 'synthetic' ? 'synthetic' : `${config.data.path} (${config.data.format})`,
    users: dataset.users,
    items: dataset.items,
    behaviors: dataset.behaviors,
    trainPairs: dataset.train.map((set) => set.users.length),
    validationPairs: dataset.validation.users.length,
    testPairs: dataset.test.users.length,
    examplesPerEpoch,
    ...(dataset.loadReport === undefined ? {} : { loadReport: dataset.loadReport }),
  };
}

function environment(): BenchReport['environment'] {
  const cores = cpus();
  return { node: process.version, platform: process.platform, arch: process.arch, cpus: cores.length, cpuModel: cores[0]?.model ?? 'unknown' };
}

/** Writes non-finite numbers as strings ("NaN", "Infinity") instead of JSON's silent null. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}
