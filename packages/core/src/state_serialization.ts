import { InvalidArgumentError, formatShape, sizeFromShape } from './errors.js';
import type { HostTensor } from './tensor_ops.js';
import type { TransformState } from './transform.js';

/** Format tag of serialized transform states. */
export const STATE_FORMAT = 'mb-transform-state/1';

/** A transform state as a JSON-safe object, for checkpoints. */
export interface SerializedTransformState {
  readonly format: typeof STATE_FORMAT;
  readonly method: string;
  readonly signature: string;
  /** Tensors by name. Values are float32 numbers, which JSON stores without loss. */
  readonly tensors: Readonly<Record<string, { readonly shape: number[]; readonly values: number[] }>>;
}

/**
 * Converts a state to a JSON-safe object. `read` copies one tensor to the host, for example
 * with `tensor.data()` in tfjs.
 *
 * Float32 values survive the round trip exactly: each converts to a float64 without rounding,
 * and JSON writes the shortest decimal that reads back to that float64.
 */
export async function serializeState<T>(
  state: TransformState<T>,
  read: (tensor: T) => HostTensor | Promise<HostTensor>,
): Promise<SerializedTransformState> {
  const tensors: Record<string, { shape: number[]; values: number[] }> = {};
  for (const name of Object.keys(state.tensors).sort()) {
    const host = await read(state.tensors[name]);
    tensors[name] = { shape: [...host.shape], values: Array.from(host.values) };
  }
  return { format: STATE_FORMAT, method: state.method, signature: state.signature, tensors };
}

/**
 * Rebuilds a state from `serializeState` output. `create` makes a backend tensor from host
 * values. The result is accepted by `update` only when its signature matches the transform's
 * configuration.
 */
export function deserializeState<T>(
  serialized: SerializedTransformState,
  create: (host: HostTensor) => T,
): TransformState<T> {
  const operation = 'deserializeState';
  if (serialized === null || typeof serialized !== 'object' || serialized.format !== STATE_FORMAT) {
    const format = serialized === null || typeof serialized !== 'object' ? String(serialized) : serialized.format;
    throw new InvalidArgumentError(operation, `format must be "${STATE_FORMAT}", got ${JSON.stringify(format)}.`);
  }

  const tensors: Record<string, T> = {};
  for (const [name, entry] of Object.entries(serialized.tensors)) {
    const size = sizeFromShape(entry.shape);
    if (!Array.isArray(entry.values) || entry.values.length !== size) {
      throw new InvalidArgumentError(
        operation,
        `tensor "${name}" has ${entry.values?.length} values but shape ${formatShape(entry.shape)} needs ${size}.`,
      );
    }
    tensors[name] = create({ shape: [...entry.shape], values: Float32Array.from(entry.values) });
  }
  return { method: serialized.method, signature: serialized.signature, tensors };
}
