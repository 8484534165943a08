import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InvalidArgumentError, STATE_FORMAT } from '@mb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHECKPOINT_MANIFEST, CHECKPOINT_TENSORS, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { CheckpointContents } from './checkpoint.js';

const contents: CheckpointContents = {
  step: 7,
  appliedSteps: 6,
  skippedSteps: 1,
  tensors: {
    weight: { shape: [2, 3], values: Float32Array.from([0.1, -0, 1e-40, -3.5, Number.MAX_VALUE, 1 / 3]) },
    'adam.m/weight': { shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    scalar: { shape: [], values: Float32Array.of(Math.PI) },
  },
  transformState: { format: STATE_FORMAT, method: 'metabalance', signature: 'sig', tensors: { a: { shape: [], values: [0.25] } } },
};

describe('checkpoint files', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mb-tfjs-checkpoint-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('round trip keeps float32 bits', async () => {
    const path = join(directory, 'round-trip');
    await writeCheckpoint(path, contents);
    const read = await readCheckpoint(path);

    expect(read.step).toBe(7);
    expect(read.appliedSteps).toBe(6);
    expect(read.skippedSteps).toBe(1);
    expect(read.transformState).toEqual(contents.transformState);
    expect(Object.keys(read.tensors)).toEqual(Object.keys(contents.tensors));
    for (const [name, host] of Object.entries(contents.tensors)) {
      expect(read.tensors[name].shape, name).toEqual(host.shape);
      expect(new Uint32Array(read.tensors[name].values.buffer), name).toEqual(new Uint32Array(host.values.buffer));
    }
  });

  it('rejects another format', async () => {
    const path = join(directory, 'format');
    await writeCheckpoint(path, contents);
    const manifest = JSON.parse(await readFile(join(path, CHECKPOINT_MANIFEST), 'utf8'));
    await writeFile(join(path, CHECKPOINT_MANIFEST), JSON.stringify({ ...manifest, format: 'other/1' }));
    await expect(readCheckpoint(path)).rejects.toThrow(InvalidArgumentError);
  });

  it('rejects a truncated tensor file', async () => {
    const path = join(directory, 'truncated');
    await writeCheckpoint(path, contents);
    const buffer = await readFile(join(path, CHECKPOINT_TENSORS));
    await writeFile(join(path, CHECKPOINT_TENSORS), buffer.subarray(0, buffer.length - 4));
    await expect(readCheckpoint(path)).rejects.toThrow('lies beyond the end of');
  });
});
