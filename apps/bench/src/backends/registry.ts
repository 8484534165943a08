import { UsageError } from '../options.js';
import { onnxBackends } from './onnx.js';
import { referenceBackend } from './reference.js';
import { tfjsBackends } from './tfjs.js';
import type { BackendEntry } from './types.js';

/** Every backend that `--backend` accepts, in `--help` order. */
export const BACKENDS: readonly BackendEntry[] = [referenceBackend, ...tfjsBackends, ...onnxBackends];

/** Names of the backends that can train NeuMF. */
export function trainingBackendNames(): string[] {
  return BACKENDS.filter((entry) => entry.trains).map((entry) => entry.name);
}

/** Looks a backend up by name; unknown names list the valid ones. */
export function findBackend(name: string, option = 'backend'): BackendEntry {
  const entry = BACKENDS.find((candidate) => candidate.name === name);
  if (entry === undefined) {
    throw new UsageError(`--${option} has unknown entry ${JSON.stringify(name)}; valid values are ${BACKENDS.map((b) => b.name).join(', ')}.`);
  }
  return entry;
}
