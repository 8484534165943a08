import { defineTransform, type TransformStep } from '../define_transform.js';
import type { TensorOps } from '../tensor_ops.js';
import type { GradientTransform, TransformInput, TransformSpec } from '../transform.js';
import { checkChoice, checkOptionNames } from './option_checks.js';
import { GRADIENT_SCOPES, type GradientScope, divideWherePositive, sumAll } from './tensor_math.js';

export interface PcGradOptions {
  /**
   * `all` (the default, as in Yu et al.) tests for conflicts on the concatenated shared
   * gradients; `tensor` tests and projects each shared tensor separately.
   */
  readonly scope?: GradientScope;
}

const METHOD = 'pcgrad';
const OPTION_NAMES = ['scope'];

/**
 * Lists the tasks that task `task` visits at rotation `rotation`, in visiting order: the other
 * tasks in index order, rotated left by `rotation`.
 */
export function pcGradVisitOrder(tasks: number, task: number, rotation: number): number[] {
  const others = Array.from({ length: tasks }, (_, k) => k).filter((k) => k !== task);
  return others.map((_, m) => others[(rotation + m) % others.length]);
}

/**
 * Gram matrix `<g_a, g_b>` of the task gradients on shared tensor `tensor`, or over all shared
 * tensors together when `tensor` is null.
 */
function gramMatrix<T>(ops: TensorOps<T>, gradients: readonly (readonly T[])[], tensor: number | null): T[][] {
  function product(a: readonly T[], b: readonly T[]): T {
    if (tensor !== null) return ops.dot(a[tensor], b[tensor]);
    return sumAll(ops, a.map((x, j) => ops.dot(x, b[j])));
  }
  return gradients.map((a) => gradients.map((b) => product(a, b)));
}

/**
 * Runs the PCGrad projections for visiting rotation `rotation` on coefficients and returns, for
 * each task m, the total coefficient of g_m in the sum of the projected copies. A copy
 * `p = sum_m c_m g_m` has `<p, g_j> = sum_m c_m gram[m][j]`, and projecting it away from g_j
 * subtracts `<p, g_j> / gram[j][j]` from c_j.
 */
function projectedCombinationWeights<T>(ops: TensorOps<T>, gram: readonly (readonly T[])[], rotation: number): T[] {
  const tasks = gram.length;
  const zero = ops.scalar(0);
  const totals: T[] = Array.from({ length: tasks }, () => zero);
  for (let task = 0; task < tasks; task++) {
    const coefficients: T[] = Array.from({ length: tasks }, (_, m) => ops.scalar(m === task ? 1 : 0));
    for (const other of pcGradVisitOrder(tasks, task, rotation)) {
      const dot = sumAll(ops, coefficients.map((c, m) => ops.mul(c, gram[m][other])));
      const conflicts = ops.greater(zero, dot);
      const step = ops.where(conflicts, divideWherePositive(ops, dot, gram[other][other], zero), zero);
      coefficients[other] = ops.sub(coefficients[other], step);
    }
    coefficients.forEach((c, m) => (totals[m] = ops.add(totals[m], c)));
  }
  return totals;
}

/**
 * PCGrad, projecting conflicting gradients (Yu, Kumar, Gupta, Levine, Hausman and Finn,
 * "Gradient Surgery for Multi-Task Learning", NeurIPS 2020).
 *
 * For each task i, a copy of g_i visits the other tasks j in turn. Where the copy conflicts with
 * the original g_j (negative dot product) it loses its component along g_j:
 * `g_i <- g_i - (<g_i, g_j> / ||g_j||^2) * g_j`. The combined gradient is the sum of the
 * projected copies. A zero g_j projects nothing.
 *
 * The paper draws a random visiting order every step. Randomness from the host would not trace
 * into a fixed graph, so here the order is deterministic. A state counter `rotation` cycles
 * through 0 .. K-2 and task i visits the other tasks in index order rotated left by it (see
 * `pcGradVisitOrder`), so every other task comes first once per K-1 steps. The graph computes
 * all K-1 rotations and selects one with `where`. The projections run on the coefficients of
 * each copy as a combination of the original gradients, using the Gram matrix of the task
 * gradients, so the rotations cost only scalar operations and one weighted sum touches the
 * full tensors.
 * NOTE: this covers K-1 of the (K-1)! orders, so for four or more tasks the orders differ in
 * distribution from the paper's uniform random permutation.
 *
 * `taskWeights` reports the effective coefficient of each original task gradient in the
 * combined gradient.
 */
export function pcGrad(options: PcGradOptions = {}): GradientTransform {
  const operation = 'pcGrad';
  checkOptionNames(operation, options, OPTION_NAMES);
  const scope = checkChoice(operation, 'options.scope', options.scope ?? 'all', GRADIENT_SCOPES);
  const resolved = { scope };

  function initialState<T>(ops: TensorOps<T>): Record<string, T> {
    return { rotation: ops.scalar(0) };
  }

  function step<T>(
    ops: TensorOps<T>,
    input: TransformInput<T>,
    state: Readonly<Record<string, T>>,
    spec: TransformSpec,
  ): TransformStep<T> {
    const gradients = input.taskGradients;
    const tasks = spec.tasks;
    const tensorCount = spec.sharedShapes.length;
    const zero = ops.scalar(0);
    const rotations = tasks - 1;
    const rotation = state.rotation;

    // Each projected copy stays a linear combination of the original task gradients, so the
    // projections run on K coefficients per copy using Gram matrices instead of on full tensors.
    const grams =
      scope === 'all'
        ? [gramMatrix(ops, gradients, null)]
        : Array.from({ length: tensorCount }, (_, j) => gramMatrix(ops, gradients, j));
    const weightsByGram = grams.map((gram) => {
      let selected: T[] = [];
      for (let r = 0; r < rotations; r++) {
        const weights = projectedCombinationWeights(ops, gram, r);
        const active = ops.equal(rotation, ops.scalar(r));
        selected = r === 0 ? weights : weights.map((w, m) => ops.where(active, w, selected[m]));
      }
      return selected;
    });
    const taskWeights = Array.from({ length: tasks }, (_, m) =>
      Array.from({ length: tensorCount }, (_, j) => weightsByGram[scope === 'all' ? 0 : j][m]),
    );

    const nextRotation = ops.add(rotation, ops.scalar(1));
    const next = { rotation: ops.where(ops.greater(nextRotation, ops.scalar(rotations - 0.5)), zero, nextRotation) };

    return { taskWeights, nextState: next };
  }

  return defineTransform({ method: METHOD, operation, options: resolved, requiresLosses: false, initialState, step });
}
