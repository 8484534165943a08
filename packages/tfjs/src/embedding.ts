import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, formatShape } from '@mb/core';

/**
 * Checks that `ids` are integers in `[0, rows)`. tfjs `gather` does not check indices on every
 * backend (wasm reads out of bounds), so ids are checked on the host before any lookup.
 */
export function checkEmbeddingIds(operation: string, table: string, ids: Int32Array, rows: number): void {
  if (!(ids instanceof Int32Array)) {
    throw new InvalidArgumentError(operation, `ids for embedding table "${table}" must be an Int32Array.`);
  }
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (id < 0 || id >= rows) {
      throw new InvalidArgumentError(
        operation,
        `ids for embedding table "${table}" must be in [0, ${rows}), got ${id} at position ${n}.`,
      );
    }
  }
}

/** Reads rows `ids` of a rank-2 table, giving `[ids.length, dim]`. */
export function gatherRows(table: tf.Tensor, ids: tf.Tensor1D): tf.Tensor2D {
  if (table.rank !== 2) {
    throw new InvalidArgumentError('gatherRows', `table must be rank 2, got shape ${formatShape(table.shape)}.`);
  }
  return tf.gather(table as tf.Tensor2D, ids);
}

/**
 * Turns the gradient with respect to gathered rows into the dense gradient of the table. Row
 * `ids[n]` receives `rowGradients[n]`, and a row that several ids name receives the sum,
 * because `tf.scatterND` adds duplicate indices. This module's tests check that on cpu and
 * wasm. Rows not in `ids` are zero, as in PyTorch's dense embedding gradient.
 */
export function scatterRowGradients(ids: tf.Tensor1D, rowGradients: tf.Tensor, tableShape: readonly number[]): tf.Tensor2D {
  if (tableShape.length !== 2 || rowGradients.rank !== 2 || rowGradients.shape[0] !== ids.shape[0] || rowGradients.shape[1] !== tableShape[1]) {
    throw new InvalidArgumentError(
      'scatterRowGradients',
      `rowGradients must have shape [${ids.shape[0]},${tableShape[1]}] for ${ids.shape[0]} ids into a table of shape ` +
        `${formatShape(tableShape)}, got ${formatShape(rowGradients.shape)}.`,
    );
  }
  return tf.tidy(() => tf.scatterND(tf.expandDims(ids, 1), rowGradients, [tableShape[0], tableShape[1]]));
}
