import type { MeanAndDeviation } from './statistics.js';
import { meanAndDeviation } from './statistics.js';

/** The ranking cut-offs every table and chart reports. */
export const REPORTED_KS = [10, 20] as const;

/** Ranking metrics of one split, with K as a string key so they survive JSON. */
export interface MetricsRecord {
  readonly users: number;
  readonly ndcg: Readonly<Record<string, number>>;
  readonly recall: Readonly<Record<string, number>>;
}

/** One epoch of one run. */
export interface EpochRecord {
  /** 1-based epoch number. */
  readonly epoch: number;
  readonly steps: number;
  readonly examples: number;
  /** Mean loss of each task over the epoch's steps, target first. */
  readonly meanLosses: readonly number[];
  readonly skippedSteps: number;
  /** Seconds spent in training steps, evaluation excluded. */
  readonly trainSeconds: number;
  readonly examplesPerSecond: number;
  /** Validation metrics after the epoch. */
  readonly validation: MetricsRecord;
  readonly evaluationSeconds: number;
}

/**
 * Gradient magnitudes of the auxiliary tasks relative to the target at one step, indexed
 * `[auxiliary task - 1][shared tensor]`. `before` is `||g_k|| / ||g_0||` and `after` is
 * `w_k ||g_k|| / ||g_0||`, where `w_k` is the factor the method applied. `null` marks a ratio
 * that is not finite (for example a zero target gradient).
 */
export interface GradientSample {
  readonly step: number;
  readonly before: readonly (readonly (number | null)[])[];
  readonly after: readonly (readonly (number | null)[])[];
}

/** One training run: a backend, a method and a seed. */
export interface RunResult {
  readonly backend: string;
  readonly method: string;
  readonly seed: number;
  /** Options of the transform after defaults, as it reports them. */
  readonly methodOptions: Readonly<Record<string, number | string | boolean>>;
  readonly status: 'completed' | 'failed';
  /** Error message of a failed run. */
  readonly error?: string;
  /** Validation metrics of the initial parameters, before the first step. */
  readonly initialValidation?: MetricsRecord;
  readonly epochs: readonly EpochRecord[];
  /** Metrics after the last epoch; absent for a failed run. */
  readonly validation?: MetricsRecord;
  readonly test?: MetricsRecord;
  /** Loss of each task at each step, indexed `[step][task]`, as the backend reported it. */
  readonly stepLosses: readonly (readonly number[])[];
  readonly gradientSamples: readonly GradientSample[];
  readonly trainSeconds: number;
  readonly evaluationSeconds: number;
}

/** Per-step comparison of one method and seed across backends. */
export interface CrossCheck {
  readonly method: string;
  readonly seed: number;
  /** Backends compared; every other one is compared with the first. */
  readonly backends: readonly string[];
  /**
   * Per step, the maximum over tasks and compared backends of `|loss_b - loss_ref| / |loss_ref|`,
   * `ref` being the first backend.
   */
  readonly perStep: readonly number[];
  /** Maximum of `perStep`; NaN when the runs share no step. */
  readonly maxRelativeDifference: number;
  /** Step (1-based) where the maximum occurred, or 0. */
  readonly maxStep: number;
  /**
   * First step (1-based) whose difference exceeded the tolerance, or 0. Float32 trajectories of
   * two implementations drift apart as training goes on, so this shows how long they agreed.
   */
  readonly firstStepAboveTolerance: number;
  readonly tolerance: number;
  readonly exceedsTolerance: boolean;
}

/** Mean and deviation over seeds of the reported metrics of one backend and method. */
export interface SummaryRow {
  readonly backend: string;
  readonly method: string;
  /** Completed runs that the statistics cover. */
  readonly seeds: readonly number[];
  readonly failedSeeds: readonly number[];
  /** Keyed by split, then by metric label such as `NDCG@10`. */
  readonly metrics: Readonly<Record<'test' | 'validation', Readonly<Record<string, MeanAndDeviation>>>>;
  readonly examplesPerSecond: MeanAndDeviation;
}

/** Metric labels in table order: NDCG@10, Recall@10, NDCG@20, Recall@20. */
export function metricLabels(): string[] {
  return REPORTED_KS.flatMap((k) => [`NDCG@${k}`, `Recall@${k}`]);
}

/** Reads one labelled metric (`NDCG@10`) from a metrics record; NaN when it is missing. */
export function metricValue(metrics: MetricsRecord, label: string): number {
  const [name, k] = label.split('@');
  const table = name === 'NDCG' ? metrics.ndcg : metrics.recall;
  return table[k] ?? Number.NaN;
}

/** Groups runs by backend and method, in order of first appearance, and summarises each over seeds. */
export function summarizeRuns(runs: readonly RunResult[]): SummaryRow[] {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) {
    const key = `${run.backend}\u0000${run.method}`;
    const group = groups.get(key) ?? [];
    group.push(run);
    groups.set(key, group);
  }

  return [...groups.values()].map((group) => {
    const completed = group.filter((run) => run.status === 'completed');
    const metrics = { test: {} as Record<string, MeanAndDeviation>, validation: {} as Record<string, MeanAndDeviation> };
    for (const split of ['test', 'validation'] as const) {
      for (const label of metricLabels()) {
        metrics[split][label] = meanAndDeviation(completed.map((run) => metricValue(run[split] as MetricsRecord, label)));
      }
    }
    const speeds = completed.map((run) => {
      const examples = run.epochs.reduce((total, epoch) => total + epoch.examples, 0);
      return run.trainSeconds > 0 ? examples / run.trainSeconds : Number.NaN;
    });
    return {
      backend: group[0].backend,
      method: group[0].method,
      seeds: completed.map((run) => run.seed),
      failedSeeds: group.filter((run) => run.status === 'failed').map((run) => run.seed),
      metrics,
      examplesPerSecond: meanAndDeviation(speeds),
    };
  });
}

/** Dataset facts stored with the results. */
export interface DatasetRecord {
  readonly name: string;
  readonly source: string;
  readonly users: number;
  readonly items: number;
  /** Behaviour names, the target first. */
  readonly behaviors: readonly string[];
  /** Training pairs per behaviour, in the order of `behaviors`. */
  readonly trainPairs: readonly number[];
  readonly validationPairs: number;
  readonly testPairs: number;
  /** Training examples per epoch (positives plus sampled negatives). */
  readonly examplesPerEpoch: number;
  readonly loadReport?: unknown;
}

/** Everything `train` writes to results.json, and what the table and HTML report read. */
export interface BenchReport {
  readonly tool: 'mb-bench';
  readonly formatVersion: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly environment: { readonly node: string; readonly platform: string; readonly arch: string; readonly cpus: number; readonly cpuModel: string };
  /** The parsed command-line configuration. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly dataset: DatasetRecord;
  readonly model: Readonly<Record<string, unknown>>;
  /** Names of the shared tensors, in the order of `GradientSample` columns. */
  readonly sharedTensors: readonly string[];
  readonly runs: readonly RunResult[];
  readonly summary: readonly SummaryRow[];
  readonly crossChecks: readonly CrossCheck[];
}
