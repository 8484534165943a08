import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { InvalidArgumentError, formatShape, sizeFromShape } from '@mb/core';
import type { HostTensor } from '@mb/core';
import ort from 'onnxruntime-node';

/** Execution providers this package can create sessions on. */
export type ExecutionProviderName = 'cpu' | 'cuda';

export const EXECUTION_PROVIDERS: readonly ExecutionProviderName[] = ['cpu', 'cuda'];

/** Options for every session this package creates. */
export interface SessionOptions {
  /** Execution provider. Default `cpu`. */
  readonly executionProvider?: ExecutionProviderName;
  /**
   * Threads one operator may use. Default: onnxruntime's own choice (one per physical core).
   */
  readonly intraOpThreads?: number;
  /**
   * Whether idle intra-op threads spin while waiting for work (onnxruntime's
   * `session.intra_op.allow_spinning`). Spinning lowers latency on an idle machine and wastes
   * cores on a busy one. Default: onnxruntime's default, which spins.
   */
  readonly allowSpinning?: boolean;
}

/** Checks the options and returns the provider name, raising for unknown or unavailable ones. */
export function resolveExecutionProvider(operation: string, options: SessionOptions = {}): ExecutionProviderName {
  const name = options.executionProvider ?? 'cpu';
  if (!EXECUTION_PROVIDERS.includes(name)) {
    throw new InvalidArgumentError(
      operation,
      `executionProvider must be one of ${EXECUTION_PROVIDERS.join(', ')}, got ${JSON.stringify(name)}.`,
    );
  }
  const threads = options.intraOpThreads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new InvalidArgumentError(operation, `intraOpThreads must be a positive integer, got ${threads}.`);
  }
  if (name !== 'cpu') {
    const backends = ort.listSupportedBackends().map((b) => b.name);
    if (!backends.includes(name)) {
      throw new InvalidArgumentError(
        operation,
        `execution provider ${name} is not available in this onnxruntime-node build (available: ${backends.join(', ')}).`,
      );
    }
    const library = cudaProviderLibrary();
    if (library !== undefined && !existsSync(library)) {
      throw new InvalidArgumentError(
        operation,
        `execution provider cuda is not available: ${library} is missing, because onnxruntime-node installs the CUDA provider only on request. ` +
          'Reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 on a machine with CUDA 12 and cuDNN ' +
            '(in a pnpm workspace, also allow its install script with `pnpm approve-builds`), or use executionProvider "cpu".',
      );
    }
  }
  return name;
}

/**
 * Path where onnxruntime-node keeps its CUDA provider library on Linux, or undefined on other
 * platforms, where a missing provider is reported when the session is created.
 */
export function cudaProviderLibrary(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
}

/**
 * Creates an inference session for a serialized model. A failure names the execution provider,
 * because a missing provider library is the usual cause.
 */
export async function createSession(
  operation: string,
  model: Uint8Array,
  options: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const provider = resolveExecutionProvider(operation, options);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(options.allowSpinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    ...(options.intraOpThreads !== undefined ? { intraOpNumThreads: options.intraOpThreads } : {}),
  };
  try {
    return await ort.InferenceSession.create(model, sessionOptions);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint = provider === 'cuda' ? ' The cuda provider needs CUDA 12, cuDNN and a GPU; use executionProvider "cpu" otherwise.' : '';
    throw new Error(`Error in ${operation}: creating an onnxruntime session with execution provider ${provider} failed: ${reason}.${hint}`);
  }
}

/** Wraps host values as an onnxruntime float32 tensor without copying. */
export function floatTensor(host: HostTensor): ort.Tensor {
  if (host.values.length !== sizeFromShape(host.shape)) {
    throw new InvalidArgumentError('floatTensor', `${host.values.length} values do not fill shape ${formatShape(host.shape)}.`);
  }
  return new ort.Tensor('float32', host.values, [...host.shape]);
}

/** Wraps int32 ids as an onnxruntime int64 tensor. */
export function int64Tensor(values: Int32Array | readonly number[], shape: readonly number[] = [values.length]): ort.Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return new ort.Tensor('int64', data, [...shape]);
}

/** Copies an onnxruntime float32 tensor to a `HostTensor`. */
export function toHostTensor(tensor: ort.Tensor): HostTensor {
  if (tensor.type !== 'float32') throw new InvalidArgumentError('toHostTensor', `tensor type must be float32, got ${tensor.type}.`);
  return { shape: [...tensor.dims], values: Float32Array.from(tensor.data as Float32Array) };
}
