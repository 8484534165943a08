import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { InvalidArgumentError, deserializeState, formatShape, serializeState, sizeFromShape } from '@mb/core';
import type { HostTensor, SerializedTransformState } from '@mb/core';

import type { Trainer, TrainerSnapshot } from './trainer.js';
import { stepNames } from './training_graph.js';

/** Format tag of checkpoint metadata files. */
export const CHECKPOINT_FORMAT = 'mb-onnx-checkpoint/1';

const METADATA_FILE = 'checkpoint.json';
const TENSORS_FILE = 'tensors.bin';

interface CheckpointMetadata {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly stepsTaken: number;
  readonly updatesApplied: number;
  readonly skippedSteps: number;
  /** Parameters and Adam moments by graph input name, as float32 ranges of the tensors file. */
  readonly tensors: Record<string, { readonly shape: number[]; readonly offset: number }>;
  /** Transform state written by core's `serializeState`, or null without a transform. */
  readonly transformState: SerializedTransformState | null;
}

/**
 * Writes the trainer's counters, parameters, Adam moments and transform state to `directory`
 * (created when missing): `checkpoint.json` for metadata and the transform state, `tensors.bin`
 * for the float32 parameters and moments in little-endian order. Restoring it continues
 * training bit-identically.
 */
export async function saveCheckpoint(trainer: Trainer, directory: string): Promise<void> {
  const snapshot = trainer.snapshot();
  const tensorNames = Object.keys(snapshot.tensors).filter((name) => !name.startsWith(stepNames.transformState('')));
  let total = 0;
  const tensors: CheckpointMetadata['tensors'] = {};
  for (const name of tensorNames) {
    tensors[name] = { shape: [...snapshot.tensors[name].shape], offset: total };
    total += snapshot.tensors[name].values.length;
  }
  const values = new Float32Array(total);
  for (const name of tensorNames) values.set(snapshot.tensors[name].values, tensors[name].offset);

  const metadata: CheckpointMetadata = {
    format: CHECKPOINT_FORMAT,
    stepsTaken: snapshot.stepsTaken,
    updatesApplied: snapshot.updatesApplied,
    skippedSteps: snapshot.skippedSteps,
    tensors,
    transformState: snapshot.transformState === null ? null : await serializeState(snapshot.transformState, (host) => host),
  };

  await mkdir(directory, { recursive: true });
  // Each file is written under a temporary name and renamed, so a crash cannot leave a torn file.
  // NOTE: a crash between the two renames pairs new tensors with the previous counters.
  await writeAtomically(join(directory, TENSORS_FILE), new Uint8Array(values.buffer));
  await writeAtomically(join(directory, METADATA_FILE), JSON.stringify(metadata));
}

/** Reads a checkpoint written by `saveCheckpoint` as a snapshot for `Trainer.restore`. */
export async function loadCheckpoint(directory: string): Promise<TrainerSnapshot> {
  const operation = 'loadCheckpoint';
  const metadata = JSON.parse(await readFile(join(directory, METADATA_FILE), 'utf8')) as CheckpointMetadata;
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new InvalidArgumentError(operation, `${METADATA_FILE} in ${directory} has format ${JSON.stringify(metadata.format)}, expected "${CHECKPOINT_FORMAT}".`);
  }
  const bytes = await readFile(join(directory, TENSORS_FILE));
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

  const tensors: Record<string, HostTensor> = {};
  for (const [name, entry] of Object.entries(metadata.tensors)) {
    const size = sizeFromShape(entry.shape);
    if (entry.offset + size > values.length) {
      throw new InvalidArgumentError(operation, `tensor "${name}" ${formatShape(entry.shape)} at offset ${entry.offset} runs past the end of ${TENSORS_FILE}.`);
    }
    tensors[name] = { shape: entry.shape, values: values.slice(entry.offset, entry.offset + size) };
  }
  const transformState = metadata.transformState === null ? null : deserializeState(metadata.transformState, (host) => host);
  for (const [key, host] of Object.entries(transformState?.tensors ?? {})) tensors[stepNames.transformState(key)] = host;

  return {
    stepsTaken: metadata.stepsTaken,
    updatesApplied: metadata.updatesApplied,
    skippedSteps: metadata.skippedSteps,
    tensors,
    transformState,
  };
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
