import type { CrossCheck, RunResult } from './results.js';

/**
 * Compares the per-step losses of runs that share a method and seed across backends. Every
 * backend is compared with the first one of its group; groups with a single completed run are
 * left out. Failed runs are compared over the steps they completed.
 */
export function crossCheckRuns(runs: readonly RunResult[], tolerance: number): CrossCheck[] {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) {
    if (run.stepLosses.length === 0) continue;
    const key = `${run.method}\u0000${run.seed}`;
    const group = groups.get(key) ?? [];
    group.push(run);
    groups.set(key, group);
  }

  const checks: CrossCheck[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const perStep = relativeLossDifferences(group.map((run) => run.stepLosses));

    // A NaN step (a non-finite loss on one side) counts as the worst difference.
    const firstNaN = perStep.findIndex((value) => Number.isNaN(value));
    let maxRelativeDifference = perStep.length === 0 ? Number.NaN : 0;
    let maxStep = 0;
    if (firstNaN >= 0) {
      maxRelativeDifference = Number.NaN;
      maxStep = firstNaN + 1;
    } else {
      perStep.forEach((value, step) => {
        if (value > maxRelativeDifference) {
          maxRelativeDifference = value;
          maxStep = step + 1;
        }
      });
    }
    const firstAbove = perStep.findIndex((value) => !(value <= tolerance));
    checks.push({
      method: group[0].method,
      seed: group[0].seed,
      backends: group.map((run) => run.backend),
      perStep,
      maxRelativeDifference,
      maxStep,
      firstStepAboveTolerance: firstAbove + 1,
      tolerance,
      exceedsTolerance: !(maxRelativeDifference <= tolerance),
    });
  }
  return checks;
}

/**
 * Per step, the maximum over tasks and backends of `|loss_b - loss_0| / |loss_0|`, over the
 * steps that every run reached. A non-finite loss on either side gives NaN for that step.
 */
export function relativeLossDifferences(histories: readonly (readonly (readonly number[])[])[]): number[] {
  const steps = Math.min(...histories.map((history) => history.length));
  const reference = histories[0];
  const result: number[] = [];
  for (let step = 0; step < steps; step++) {
    let worst = 0;
    for (let b = 1; b < histories.length; b++) {
      const losses = histories[b][step];
      reference[step].forEach((expected, task) => {
        const difference = Math.abs(losses[task] - expected) / Math.max(Math.abs(expected), Number.MIN_VALUE);
        worst = Number.isNaN(difference) || Number.isNaN(worst) ? Number.NaN : Math.max(worst, difference);
      });
    }
    result.push(worst);
  }
  return result;
}
