import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { InvalidArgumentError, formatShape, sizeFromShape } from '@mb/core';
import type { HostTensor, SerializedTransformState } from '@mb/core';

/** Format tag of the checkpoint manifest. */
export const CHECKPOINT_FORMAT = 'mb-tfjs-checkpoint/1';
/** File names inside a checkpoint directory. */
export const CHECKPOINT_MANIFEST = 'checkpoint.json';
export const CHECKPOINT_TENSORS = 'tensors.bin';

/** Everything a trainer needs to continue training, on the host. */
export interface CheckpointContents {
  /** Steps taken, skipped ones included. */
  readonly step: number;
  /** Steps whose update was applied, the count that Adam's bias correction uses. */
  readonly appliedSteps: number;
  readonly skippedSteps: number;
  /** Variables and Adam moments by name (`adam.m/<variable>` and `adam.v/<variable>`). */
  readonly tensors: Readonly<Record<string, HostTensor>>;
  readonly transformState: SerializedTransformState;
}

interface TensorEntry {
  readonly name: string;
  readonly shape: number[];
  /** Offset in float32 elements into the tensors file. */
  readonly offset: number;
}

interface Manifest {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly step: number;
  readonly appliedSteps: number;
  readonly skippedSteps: number;
  readonly tensors: TensorEntry[];
  readonly transformState: SerializedTransformState;
}

/**
 * Writes a checkpoint to `directory` (created when missing): a JSON manifest and one binary
 * file with every tensor's float32 values, little-endian, back to back in manifest order.
 */
export async function writeCheckpoint(directory: string, contents: CheckpointContents): Promise<void> {
  const names = Object.keys(contents.tensors);
  const entries: TensorEntry[] = [];
  let total = 0;
  for (const name of names) {
    const host = contents.tensors[name];
    entries.push({ name, shape: [...host.shape], offset: total });
    total += host.values.length;
  }

  const buffer = Buffer.alloc(total * 4);
  for (const entry of entries) {
    const values = contents.tensors[entry.name].values;
    for (let i = 0; i < values.length; i++) buffer.writeFloatLE(values[i], (entry.offset + i) * 4);
  }

  const manifest: Manifest = {
    format: CHECKPOINT_FORMAT,
    step: contents.step,
    appliedSteps: contents.appliedSteps,
    skippedSteps: contents.skippedSteps,
    tensors: entries,
    transformState: contents.transformState,
  };
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, CHECKPOINT_TENSORS), buffer);
  await writeFile(join(directory, CHECKPOINT_MANIFEST), JSON.stringify(manifest));
}

/** Reads a checkpoint written by `writeCheckpoint`, checking its format and sizes. */
export async function readCheckpoint(directory: string): Promise<CheckpointContents> {
  const operation = 'readCheckpoint';
  const manifest = JSON.parse(await readFile(join(directory, CHECKPOINT_MANIFEST), 'utf8')) as Manifest;
  if (manifest.format !== CHECKPOINT_FORMAT) {
    throw new InvalidArgumentError(
      operation,
      `${join(directory, CHECKPOINT_MANIFEST)} has format ${JSON.stringify(manifest.format)}, expected "${CHECKPOINT_FORMAT}".`,
    );
  }

  const buffer = await readFile(join(directory, CHECKPOINT_TENSORS));
  const tensors: Record<string, HostTensor> = {};
  for (const entry of manifest.tensors) {
    const size = sizeFromShape(entry.shape);
    if ((entry.offset + size) * 4 > buffer.length) {
      throw new InvalidArgumentError(
        operation,
        `tensor "${entry.name}" of shape ${formatShape(entry.shape)} at element ${entry.offset} lies beyond the end of ` +
          `${join(directory, CHECKPOINT_TENSORS)} (${buffer.length} bytes).`,
      );
    }
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = buffer.readFloatLE((entry.offset + i) * 4);
    tensors[entry.name] = { shape: entry.shape, values };
  }

  return {
    step: manifest.step,
    appliedSteps: manifest.appliedSteps,
    skippedSteps: manifest.skippedSteps,
    tensors,
    transformState: manifest.transformState,
  };
}
