import { defineTransform, type TransformStep } from '../define_transform.js';
import type { TensorOps } from '../tensor_ops.js';
import type { GradientTransform, TransformInput, TransformSpec } from '../transform.js';
import { checkChoice, checkOptionNames } from './option_checks.js';
import { GRADIENT_SCOPES, type GradientScope, divideWherePositive, scopedDots } from './tensor_math.js';

/** `binary` adds an auxiliary gradient whole or not at all; `weighted` scales it by max(0, cos). */
export type GcsVariant = 'binary' | 'weighted';

export interface GradientCosineSimilarityOptions {
  /** Default `binary`. */
  readonly variant?: GcsVariant;
  /**
   * `tensor` (the default) decides per shared tensor; `all` decides once on the concatenated
   * shared gradients.
   */
  readonly scope?: GradientScope;
}

const METHOD = 'gcs';
const OPTION_NAMES = ['variant', 'scope'];
const VARIANTS: readonly GcsVariant[] = ['binary', 'weighted'];

/**
 * Gradient cosine similarity (Du, Czarnecki, Jayakumar, Farajtabar, Pascanu and
 * Lakshminarayanan, "Adapting Auxiliary Losses Using Gradient Similarity", arXiv 1812.02224,
 * 2018).
 *
 * The target gradient g_0 is always used. An auxiliary gradient g_k is added only where its
 * cosine with g_0, `<g_0, g_k> / (||g_0|| * ||g_k||)`, is positive (weight 1, else 0), or, in
 * the `weighted` variant, is scaled by `max(0, cos)`. When either gradient is zero the cosine
 * is taken as 0, so an auxiliary gradient is dropped for a shared tensor that the target does
 * not reach.
 */
export function gradientCosineSimilarity(options: GradientCosineSimilarityOptions = {}): GradientTransform {
  const operation = 'gradientCosineSimilarity';
  checkOptionNames(operation, options, OPTION_NAMES);
  const variant = checkChoice(operation, 'options.variant', options.variant ?? 'binary', VARIANTS);
  const scope = checkChoice(operation, 'options.scope', options.scope ?? 'tensor', GRADIENT_SCOPES);
  const resolved = { variant, scope };

  function step<T>(ops: TensorOps<T>, input: TransformInput<T>, _state: unknown, spec: TransformSpec): TransformStep<T> {
    const gradients = input.taskGradients;
    const zero = ops.scalar(0);
    const one = ops.scalar(1);

    const targetSquares = scopedDots(ops, gradients[0], gradients[0], scope);
    const taskWeights: T[][] = [gradients[0].map(() => one)];
    for (let k = 1; k < spec.tasks; k++) {
      const dots = scopedDots(ops, gradients[0], gradients[k], scope);
      const squares = scopedDots(ops, gradients[k], gradients[k], scope);
      taskWeights.push(
        dots.map((dot, j) => {
          // sqrt(a) * sqrt(b) rather than sqrt(a * b), which overflows float32 for long gradients.
          const normProduct = ops.mul(ops.sqrt(targetSquares[j]), ops.sqrt(squares[j]));
          const cosine = divideWherePositive(ops, dot, normProduct, zero);
          return variant === 'binary' ? ops.greater(cosine, zero) : ops.maximum(cosine, zero);
        }),
      );
    }

    return { taskWeights };
  }

  return defineTransform({ method: METHOD, operation, options: resolved, requiresLosses: false, step });
}
