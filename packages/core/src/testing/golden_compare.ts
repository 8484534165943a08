/**
 * Relative error of `actual` against float64 `expected`, element by element:
 * `|a - e| / max(|e|, floor)`. The floor keeps elements that are near zero through cancellation
 * from dominating; pass 0 for a pure relative error.
 */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 0): number {
  if (actual.length !== expected.length) {
    throw new Error(`maxRelativeError: actual has ${actual.length} elements, expected has ${expected.length}`);
  }
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (Number.isNaN(a)) return Infinity;
    const denominator = Math.max(Math.abs(e), floor);
    const error = denominator === 0 ? Math.abs(a - e) : Math.abs(a - e) / denominator;
    worst = Math.max(worst, error);
  }
  return worst;
}
