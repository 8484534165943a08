import { createRequire } from 'node:module';

import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@mb/core';
import { describe, expect, it } from 'vitest';

import { BackendUnavailableError, useBackend } from './backend.js';
import type { TfjsBackendName } from './backend.js';

const require = createRequire(import.meta.url);

function isInstalled(specifier: string): boolean {
  try {
    require.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

describe('useBackend', () => {
  it('activates cpu and wasm', async () => {
    expect(await useBackend('wasm')).toBe('tfjs-wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(await useBackend('cpu')).toBe('tfjs-cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects an unknown name and lists the valid ones', async () => {
    const attempt = useBackend('webgl' as TfjsBackendName);
    await expect(attempt).rejects.toThrow(InvalidArgumentError);
    await expect(useBackend('webgl' as TfjsBackendName)).rejects.toThrow(
      'Error in useBackend: backend must be one of cpu, wasm, tfjs-node, tfjs-node-gpu, got "webgl".',
    );
    expect(tf.getBackend()).toBe('cpu');
  });

  it.each(['tfjs-node', 'tfjs-node-gpu'] as const)('names the install command when %s is missing', async (name) => {
    if (isInstalled(`@tensorflow/${name}`)) {
      console.warn(`backend.test: @tensorflow/${name} is installed, so its missing-package message is not tested.`);
      return;
    }
    const attempt = useBackend(name);
    await expect(attempt).rejects.toThrow(BackendUnavailableError);
    await expect(useBackend(name)).rejects.toThrow(`npm install @tensorflow/${name}`);
    await expect(useBackend(name)).rejects.toThrow('pnpm approve-builds');
  });
});
