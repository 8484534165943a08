/**
 * Raised for an invalid argument. The message names the operation, the argument and the value,
 * in the form `Error in <operation>: <argument> ...`.
 */
export class InvalidArgumentError extends Error {
  constructor(
    readonly operation: string,
    message: string,
  ) {
    super(`Error in ${operation}: ${message}`);
    this.name = 'InvalidArgumentError';
  }
}

/** Formats a shape for error messages, for example `[4,3]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Number of elements of a tensor with the given shape (1 for rank 0). */
export function sizeFromShape(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Compares two shapes dimension by dimension. */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}
