import { summarizeRuns } from '../results.js';
import type { BenchReport, CrossCheck, MetricsRecord, RunResult } from '../results.js';

/** Builds a metrics record with NDCG and Recall at 10 and 20. */
export function metrics(ndcg10: number, recall10: number, ndcg20: number, recall20: number): MetricsRecord {
  return { users: 50, ndcg: { '10': ndcg10, '20': ndcg20 }, recall: { '10': recall10, '20': recall20 } };
}

/** Builds a completed run with two epochs, four steps of two tasks and two gradient samples. */
export function sampleRun(backend: string, method: string, seed: number, test: MetricsRecord, offset = 0): RunResult {
  return {
    backend,
    method,
    seed,
    methodOptions: {},
    status: 'completed',
    initialValidation: metrics(0.01, 0.02, 0.02, 0.04),
    epochs: [1, 2].map((epoch) => ({
      epoch,
      steps: 2,
      examples: 100,
      meanLosses: [0.6 / epoch, 0.7 / epoch],
      skippedSteps: 0,
      trainSeconds: 0.5,
      examplesPerSecond: 200,
      validation: metrics(0.05 * epoch, 0.1, 0.07, 0.2),
      evaluationSeconds: 0.1,
    })),
    validation: metrics(0.1, 0.1, 0.07, 0.2),
    test,
    stepLosses: [
      [0.7 + offset, 0.69],
      [0.6, 0.65],
      [0.5, 0.6],
      [0.4, 0.55],
    ],
    gradientSamples: [
      { step: 1, before: [[2, 0.5]], after: [[1.5, 0.6]] },
      { step: 2, before: [[3, null]], after: [[1.2, 0]] },
    ],
    trainSeconds: 1,
    evaluationSeconds: 0.2,
  };
}

/** Builds a report with two backends, two methods and two seeds, and one failed run. */
export function sampleReport(crossChecks: CrossCheck[] = []): BenchReport {
  const runs: RunResult[] = [
    sampleRun('tfjs-cpu', 'equal', 1, metrics(0.1, 0.2, 0.15, 0.3)),
    sampleRun('tfjs-cpu', 'equal', 2, metrics(0.2, 0.4, 0.25, 0.5)),
    sampleRun('onnx-cpu', 'equal', 1, metrics(0.1, 0.2, 0.15, 0.3)),
    sampleRun('onnx-cpu', 'equal', 2, metrics(0.2, 0.4, 0.25, 0.5)),
    sampleRun('tfjs-cpu', 'metabalance', 1, metrics(0.3, 0.5, 0.35, 0.6)),
    { ...sampleRun('tfjs-cpu', 'metabalance', 2, metrics(0, 0, 0, 0)), status: 'failed', error: 'out of <memory> & more', test: undefined },
  ];
  return {
    tool: 'mb-bench',
    formatVersion: 1,
    startedAt: '2026-12-04T20:00:00.000Z',
    finishedAt: '2026-12-04T20:01:00.000Z',
    durationSeconds: 60,
    environment: { node: 'v20.0.0', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'Test CPU' },
    config: { seeds: [1, 2], logEvery: 10 },
    dataset: {
      name: 'tiny <synthetic>',
      source: 'synthetic',
      users: 50,
      items: 40,
      behaviors: ['buy', 'click'],
      trainPairs: [60, 300],
      validationPairs: 20,
      testPairs: 25,
      examplesPerEpoch: 720,
    },
    model: { users: 50, items: 40, gmfDim: 2, mlpDim: 4, hidden: [4, 2], tasks: 2 },
    sharedTensors: ['user_gmf.weight', 'item_gmf.weight'],
    runs,
    summary: summarizeRuns(runs),
    crossChecks,
  };
}
