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

/** Looks a backend up by name for `golden`, which accepts every backend; unknown names list them all. */
export function findBackend(name: string, option = 'backend'): BackendEntry {
  const entry = BACKENDS.find((candidate) => candidate.name === name);
  if (entry === undefined) {
    throw new UsageError(`--${option} has unknown entry ${JSON.stringify(name)}; valid values are ${BACKENDS.map((b) => b.name).join(', ')}.`);
  }
  return entry;
}

/**
 * Looks a backend up by name for `train`. Unknown names and backends without a NeuMF trainer are
 * usage errors that list only the backends that can train.
 */
export function findTrainingBackend(name: string, option = 'backend'): BackendEntry {
  const valid = trainingBackendNames().join(', ');
  const entry = BACKENDS.find((candidate) => candidate.name === name);
  if (entry === undefined) {
    throw new UsageError(`--${option} has unknown entry ${JSON.stringify(name)}; valid values are ${valid}.`);
  }
  if (!entry.trains) {
    throw new UsageError(`--${option} ${name} has no NeuMF trainer (it runs golden transform cases only); valid values are ${valid}.`);
  }
  return entry;
}
