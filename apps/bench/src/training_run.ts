import type { GradientTransform, HostTensor } from '@mb/core';
import { evaluateRanking } from '@mb/recsys';
import type { AdamOptions, MultiBehaviorDataset, NeuMFConfig, NeuMFTrainer, RankingMetrics, Sampler, StepReport } from '@mb/recsys';

import type { LoadedBackend } from './backends/types.js';
import type { Progress } from './progress.js';
import { REPORTED_KS } from './results.js';
import type { EpochRecord, GradientSample, MetricsRecord, RunResult } from './results.js';

/** Everything one training run (one backend, method and seed) needs. */
export interface TrainingRunPlan {
  readonly backend: LoadedBackend;
  readonly method: string;
  readonly seed: number;
  readonly transform: GradientTransform;
  readonly dataset: MultiBehaviorDataset;
  /** Sampler seeded with `seed`, shared by every run of that seed so all see the same batches. */
  readonly sampler: Sampler;
  readonly model: NeuMFConfig;
  readonly initialParameters: Readonly<Record<string, HostTensor>>;
  readonly adam: AdamOptions;
  readonly epochs: number;
  readonly batchSize: number;
  readonly logEvery: number;
  readonly evalBatchUsers: number;
  /** Prefix of every progress line, for example `[2/6] tfjs-cpu equal seed 1`. */
  readonly label: string;
}

/**
 * Trains one run: `epochs` passes over the sampler's batches, a validation evaluation before
 * training and after each epoch, and a test evaluation at the end. A failure is caught and returned as a failed run
 * holding what was recorded until then, so that the other runs still report. The trainer is
 * disposed in every case.
 */
export async function trainRun(plan: TrainingRunPlan, progress: Progress, now: () => number = () => performance.now()): Promise<RunResult> {
  const { backend, dataset, sampler, label } = plan;
  const target = dataset.behaviors[0];
  const stepLosses: number[][] = [];
  const gradientSamples: GradientSample[] = [];
  const epochs: EpochRecord[] = [];
  let trainMilliseconds = 0;
  let evaluationMilliseconds = 0;
  let initialValidation: MetricsRecord | undefined;
  let validation: MetricsRecord | undefined;
  let test: MetricsRecord | undefined;
  let trainer: NeuMFTrainer | undefined;

  const base = {
    backend: backend.name,
    method: plan.method,
    seed: plan.seed,
    methodOptions: plan.transform.options,
  };

  const evaluate = async (split: 'validation' | 'test', prefix: string): Promise<MetricsRecord> => {
    const start = now();
    let scored = 0;
    const metrics = await evaluateRanking(
      dataset,
      split,
      async (users) => {
        const scores = await trainer!.scoreAllItems(users);
        scored += users.length;
        progress.update(`${prefix} evaluating ${split}: ${scored} users scored`);
        return scores;
      },
      { ks: REPORTED_KS, userBatchSize: plan.evalBatchUsers },
    );
    evaluationMilliseconds += now() - start;
    return metricsRecord(metrics);
  };

  try {
    if (backend.createTrainer === undefined) {
      throw new Error(`backend ${backend.name} has no NeuMF trainer.`);
    }
    trainer = await backend.createTrainer({
      model: plan.model,
      initialParameters: plan.initialParameters,
      transform: plan.transform,
      adam: plan.adam,
    });

    initialValidation = await evaluate('validation', `${label} epoch 0/${plan.epochs}`);
    progress.finish(`${label} before training: validation NDCG@10 ${formatMetric(initialValidation.ndcg['10'])}`);

    const stepsPerEpoch = Math.ceil(sampler.epochSize() / plan.batchSize);
    for (let epoch = 1; epoch <= plan.epochs; epoch++) {
      const prefix = `${label} epoch ${epoch}/${plan.epochs}`;
      const lossSums = new Array<number>(dataset.behaviors.length).fill(0);
      let steps = 0;
      let examples = 0;
      let skippedSteps = 0;
      let epochMilliseconds = 0;

      // The sampler numbers epochs from 0.
      for (const batch of sampler.batches(epoch - 1, plan.batchSize)) {
        const start = now();
        const report = await trainer.step(batch);
        epochMilliseconds += now() - start;

        steps += 1;
        examples += batch.users.length;
        if (report.skipped) skippedSteps += 1;
        report.losses.forEach((loss, task) => (lossSums[task] += loss));
        stepLosses.push([...report.losses]);
        const globalStep = stepLosses.length;
        if (globalStep === 1 || globalStep % plan.logEvery === 0) gradientSamples.push(gradientSample(globalStep, report));

        const speed = examples / (epochMilliseconds / 1000);
        progress.update(`${prefix} step ${steps}/${stepsPerEpoch} loss ${target} ${formatLoss(lossSums[0] / steps)} ${formatSpeed(speed)}`);
      }
      trainMilliseconds += epochMilliseconds;

      const evaluationStart = evaluationMilliseconds;
      validation = await evaluate('validation', prefix);
      const trainSeconds = epochMilliseconds / 1000;
      const record: EpochRecord = {
        epoch,
        steps,
        examples,
        meanLosses: lossSums.map((sum) => sum / Math.max(steps, 1)),
        skippedSteps,
        trainSeconds,
        examplesPerSecond: trainSeconds > 0 ? examples / trainSeconds : Number.NaN,
        validation,
        evaluationSeconds: (evaluationMilliseconds - evaluationStart) / 1000,
      };
      epochs.push(record);
      progress.finish(epochLine(prefix, target, record));
    }

    test = await evaluate('test', `${label} final`);
    progress.finish(`${label} test NDCG@10 ${formatMetric(test.ndcg['10'])} Recall@10 ${formatMetric(test.recall['10'])} (${test.users} users)`);
    return { ...base, status: 'completed', initialValidation, epochs, validation, test, stepLosses, gradientSamples, ...seconds(trainMilliseconds, evaluationMilliseconds) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress.finish(`${label} failed: ${message}`);
    return { ...base, status: 'failed', error: message, ...(initialValidation === undefined ? {} : { initialValidation }), epochs, stepLosses, gradientSamples, ...seconds(trainMilliseconds, evaluationMilliseconds) };
  } finally {
    // A failed release must not replace the run's result, so it is reported and not raised.
    try {
      await trainer?.dispose();
    } catch (error) {
      progress.message(`warning: ${label}: releasing the trainer failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function seconds(trainMilliseconds: number, evaluationMilliseconds: number): { trainSeconds: number; evaluationSeconds: number } {
  return { trainSeconds: trainMilliseconds / 1000, evaluationSeconds: evaluationMilliseconds / 1000 };
}

/** Converts the data package's metrics to string keys, which is what JSON stores anyway. */
export function metricsRecord(metrics: RankingMetrics): MetricsRecord {
  const ndcg: Record<string, number> = {};
  const recall: Record<string, number> = {};
  for (const k of REPORTED_KS) {
    ndcg[String(k)] = metrics.ndcg[k];
    recall[String(k)] = metrics.recall[k];
  }
  return { users: metrics.users, ndcg, recall };
}

/** Auxiliary-to-target gradient norm ratios of one step, before and after the method's weights. */
export function gradientSample(step: number, report: StepReport): GradientSample {
  const targetNorms = report.taskNorms[0];
  const ratio = (value: number): number | null => (Number.isFinite(value) ? value : null);
  const before: (number | null)[][] = [];
  const after: (number | null)[][] = [];
  for (let k = 1; k < report.taskNorms.length; k++) {
    before.push(report.taskNorms[k].map((norm, j) => ratio(norm / targetNorms[j])));
    after.push(report.taskNorms[k].map((norm, j) => ratio((report.taskWeights[k][j] * norm) / targetNorms[j])));
  }
  return { step, before, after };
}

function epochLine(prefix: string, target: string, record: EpochRecord): string {
  const skipped = record.skippedSteps > 0 ? ` ${record.skippedSteps} steps skipped (non-finite gradients)` : '';
  return (
    `${prefix} loss ${target} ${formatLoss(record.meanLosses[0])} all ${formatLoss(record.meanLosses.reduce((a, b) => a + b, 0))} ` +
    `${formatSpeed(record.examplesPerSecond)} ${record.trainSeconds.toFixed(1)} s, ` +
    `validation NDCG@10 ${formatMetric(record.validation.ndcg['10'])} (${record.evaluationSeconds.toFixed(1)} s)${skipped}`
  );
}

function formatLoss(value: number): string {
  return value.toFixed(4);
}

function formatMetric(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toFixed(4);
}

function formatSpeed(examplesPerSecond: number): string {
  return Number.isFinite(examplesPerSecond) ? `${Math.round(examplesPerSecond).toLocaleString('en-US')} examples/s` : '- examples/s';
}
