import { InvalidArgumentError, checkRange } from '@mb/core';
import { DEFAULT_ADAM } from '@mb/recsys';
import type { AdamOptions } from '@mb/recsys';

import { attr } from './graph.js';
import type { GraphBuilder, GraphTensor } from './graph.js';
import { rowSparse } from './graph_ops.js';

/** Adam options after defaults were applied. */
export type ResolvedAdamOptions = Required<AdamOptions>;

/** Applies the defaults of `DEFAULT_ADAM` and checks every option. */
export function resolveAdamOptions(operation: string, options: AdamOptions = {}): ResolvedAdamOptions {
  const resolved = { ...DEFAULT_ADAM, ...options };
  if (!Number.isFinite(resolved.learningRate) || resolved.learningRate <= 0) {
    throw new InvalidArgumentError(operation, `adam.learningRate must be a positive number, got ${resolved.learningRate}.`);
  }
  checkRange(operation, 'adam.beta1', resolved.beta1, 0, 1, false);
  checkRange(operation, 'adam.beta2', resolved.beta2, 0, 1, false);
  if (!Number.isFinite(resolved.epsilon) || resolved.epsilon <= 0) {
    throw new InvalidArgumentError(operation, `adam.epsilon must be a positive number, got ${resolved.epsilon}.`);
  }
  if (!Number.isFinite(resolved.weightDecay) || resolved.weightDecay < 0) {
    throw new InvalidArgumentError(operation, `adam.weightDecay must be a non-negative number, got ${resolved.weightDecay}.`);
  }
  return resolved;
}

/** Rank-0 factors of one Adam step, shared by every parameter. */
export interface AdamStepFactors {
  readonly beta1: GraphTensor;
  readonly oneMinusBeta1: GraphTensor;
  readonly beta2: GraphTensor;
  readonly oneMinusBeta2: GraphTensor;
  /** `lr * sqrt(1 - beta2^t) / (1 - beta1^t)`. */
  readonly stepSize: GraphTensor;
  /** `eps * sqrt(1 - beta2^t)`. */
  readonly epsilon: GraphTensor;
  readonly weightDecay: GraphTensor | undefined;
}

/**
 * Returns `[lr * sqrt(1 - beta2^t) / (1 - beta1^t), eps * sqrt(1 - beta2^t)]` for the 1-based
 * step `t`, computed in float64. In float32, `1 - 0.999^t` is off by about 1e-5 relative
 * (0.999 itself rounds), which made runs drift from the tfjs adapter, so the graph takes these
 * factors as an input instead of computing them.
 */
export function adamBiasCorrectedFactors(options: ResolvedAdamOptions, step: number): Float32Array {
  const sqrtCorrection2 = Math.sqrt(1 - options.beta2 ** step);
  const correction1 = 1 - options.beta1 ** step;
  return Float32Array.of((options.learningRate * sqrtCorrection2) / correction1, options.epsilon * sqrtCorrection2);
}

/**
 * Builds the rank-0 factors of one Adam step from `corrected`, the graph input holding
 * `adamBiasCorrectedFactors` (shape [2]). When the rank-0 bool `apply` is false, the factors turn the update into the
 * identity: beta1 and beta2 become 1, and their complements and the step size become 0. So
 * parameters and moments come out bit-identical to their inputs without a dense `Where` per
 * tensor, provided the gradients are finite. The caller zeroes them when `apply` is false.
 */
export function adamStepFactors(graph: GraphBuilder, options: ResolvedAdamOptions, corrected: GraphTensor, apply: GraphTensor): AdamStepFactors {
  const c = (value: number) => graph.floatConstant([value]);
  const select = (whenApplied: number, otherwise: number) => graph.node('Where', [apply, c(whenApplied), c(otherwise)]);
  const element = (index: number) =>
    graph.node('Reshape', [graph.node('Slice', [corrected, graph.intConstant([index]), graph.intConstant([index + 1]), graph.intConstant([0])]), graph.intConstant([])]);

  // PyTorch computes lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps). Multiplying numerator and
  // denominator by sqrt(bc2) gives the same value with one dense operation less.
  const stepSize = element(0);
  return {
    beta1: select(options.beta1, 1),
    oneMinusBeta1: select(1 - options.beta1, 0),
    beta2: select(options.beta2, 1),
    oneMinusBeta2: select(1 - options.beta2, 0),
    stepSize: graph.node('Where', [apply, stepSize, c(0)]),
    epsilon: element(1),
    weightDecay: options.weightDecay === 0 ? undefined : c(options.weightDecay),
  };
}

/** New parameter and moments of one tensor. */
export interface AdamUpdate {
  readonly parameter: GraphTensor;
  readonly firstMoment: GraphTensor;
  readonly secondMoment: GraphTensor;
}

/**
 * Records one Adam update of `parameter` with `gradient`, matching `torch.optim.Adam` with
 * `weight_decay`: the L2 term is added to the gradient before the moments are updated.
 */
export function adamUpdate(
  graph: GraphBuilder,
  factors: AdamStepFactors,
  parameter: GraphTensor,
  gradient: GraphTensor,
  firstMoment: GraphTensor,
  secondMoment: GraphTensor,
): AdamUpdate {
  const mul = (a: GraphTensor, b: GraphTensor) => graph.node('Mul', [a, b]);
  const add = (a: GraphTensor, b: GraphTensor) => graph.node('Add', [a, b]);

  let g = gradient;
  if (factors.weightDecay !== undefined) {
    const decay = mul(parameter, factors.weightDecay);
    const rows = rowSparse(gradient);
    // For a row-sparse gradient, scatter-adding its rows onto the decay term gives the same sum
    // without first materializing the gradient in a zeros tensor.
    g = rows === undefined ? add(gradient, decay) : graph.node('ScatterND', [decay, rows.indices, rows.updates], { reduction: attr.string('add') });
  }
  const m = add(mul(firstMoment, factors.beta1), mul(g, factors.oneMinusBeta1));
  const v = add(mul(secondMoment, factors.beta2), mul(mul(g, g), factors.oneMinusBeta2));
  const denominator = add(graph.node('Sqrt', [v]), factors.epsilon);
  const delta = mul(graph.node('Div', [m, denominator]), factors.stepSize);
  return { parameter: graph.node('Sub', [parameter, delta]), firstMoment: m, secondMoment: v };
}
