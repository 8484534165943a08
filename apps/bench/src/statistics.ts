/** Mean and sample standard deviation of a list of values. */
export interface MeanAndDeviation {
  readonly mean: number;
  /** Sample standard deviation (n - 1 denominator); `null` for fewer than two values. */
  readonly std: number | null;
  readonly count: number;
}

/** Computes the mean and sample standard deviation; the mean of an empty list is NaN. */
export function meanAndDeviation(values: readonly number[]): MeanAndDeviation {
  const count = values.length;
  if (count === 0) return { mean: Number.NaN, std: null, count };

  const mean = values.reduce((total, value) => total + value, 0) / count;
  if (count < 2) return { mean, std: null, count };

  const squares = values.reduce((total, value) => total + (value - mean) ** 2, 0);
  return { mean, std: Math.sqrt(squares / (count - 1)), count };
}
