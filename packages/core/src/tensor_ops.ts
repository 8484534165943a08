/**
 * The tensor operations that balancing methods are written against.
 *
 * `T` is the backend's tensor type: a tfjs `Tensor`, a node in an ONNX graph under
 * construction, or the reference `HostTensor`. Scalars are rank-0 tensors of type `T`, never
 * JavaScript numbers, so a backend may record every operation into a graph instead of running
 * it. For the same reason no operation returns a value to JavaScript: an algorithm written on
 * this interface cannot branch on tensor contents and expresses every decision with `where`.
 *
 * Contract shared by every operation:
 * - All tensors are float32. Masks (the results of `greater`, `equal` and `allFinite`) are
 *   float32 tensors holding exactly 0 or 1.
 * - Binary elementwise operations take two tensors of the same shape, or one rank-0 tensor and
 *   one tensor of any shape (the rank-0 operand is broadcast). Any other pair of shapes is an
 *   error raised when the operation is called.
 * - Results follow IEEE 754 float32 arithmetic: `div(1, 0)` is `Infinity` and `div(0, 0)` is
 *   `NaN`. Algorithms avoid those with `where` on a safe denominator.
 * - Operations never modify their inputs.
 */
export interface TensorOps<T> {
  /** Name of the backend, used in error messages (for example `reference` or `tfjs-cpu`). */
  readonly backendName: string;

  /** Returns the static shape of `x`. Graph backends know it at build time. */
  shape(x: T): readonly number[];

  /** Creates a rank-0 constant. */
  scalar(value: number): T;

  /** Creates a tensor of zeros with the given static shape (`[]` for rank 0). */
  zeros(shape: readonly number[]): T;

  /** Creates a tensor of zeros with the shape of `x`. */
  zerosLike(x: T): T;

  /** Elementwise `a + b`. */
  add(a: T, b: T): T;

  /** Elementwise `a - b`. */
  sub(a: T, b: T): T;

  /** Elementwise `a * b`. */
  mul(a: T, b: T): T;

  /** Elementwise `a / b`, with IEEE results for zero denominators. */
  div(a: T, b: T): T;

  /** Multiplies every element of `x` by the rank-0 tensor `factor`. */
  scale(x: T, factor: T): T;

  /** Elementwise maximum. */
  maximum(a: T, b: T): T;

  /** Elementwise minimum. */
  minimum(a: T, b: T): T;

  /** Elementwise mask: 1 where `a > b`, else 0 (0 where either operand is NaN). */
  greater(a: T, b: T): T;

  /** Elementwise mask: 1 where `a == b`, else 0 (0 where either operand is NaN). */
  equal(a: T, b: T): T;

  /**
   * Elementwise selection: `a` where `condition` is non-zero, else `b`. The branch not taken
   * never leaks into the result, so a NaN in it is harmless. Broadcasting follows the binary
   * rule applied to all three operands (each is rank-0 or has the common shape).
   */
  where(condition: T, a: T, b: T): T;

  /** Elementwise negation. */
  neg(x: T): T;

  /** Elementwise absolute value. */
  abs(x: T): T;

  /** Elementwise square root (NaN for negative inputs). */
  sqrt(x: T): T;

  /** Elementwise natural exponential. */
  exp(x: T): T;

  /** Elementwise natural logarithm (`-Infinity` at 0, NaN for negative inputs). */
  log(x: T): T;

  /** Sum of all elements, as a rank-0 tensor. */
  sum(x: T): T;

  /** L2 (Frobenius) norm of all elements, as a rank-0 tensor. */
  norm(x: T): T;

  /** Sum of the elementwise product of two tensors of the same shape, as a rank-0 tensor. */
  dot(a: T, b: T): T;

  /** Rank-0 mask: 1 when every element of `x` is finite, 0 when any is NaN or infinite. */
  allFinite(x: T): T;
}

/** A float32 tensor on the host: a shape and its values in row-major order. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}
