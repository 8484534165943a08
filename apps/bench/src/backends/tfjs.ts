import type { HostTensor, TensorOps } from '@mb/core';
import { eagerConformanceBackend } from '@mb/core/testing';
import type { ConformanceBackend } from '@mb/core/testing';
import type { NeuMFTrainer, NeuMFTrainerOptions } from '@mb/recsys';

import { importAdapter, requireFunction } from './adapter_import.js';
import type { BackendEntry, LoadedBackend } from './types.js';

const PACKAGE = '@mb/tfjs';

/** tfjs backend names as `@mb/tfjs` takes them. */
export type TfjsBackendName = 'cpu' | 'wasm' | 'tfjs-node' | 'tfjs-node-gpu';

type CreateTfjsTrainer = (
  options: NeuMFTrainerOptions & { backend: TfjsBackendName; reportGradients?: boolean },
) => NeuMFTrainer | Promise<NeuMFTrainer>;
type UseBackend = (name: TfjsBackendName) => Promise<string>;
type FromHostTensor = (host: HostTensor) => unknown;
type ToHostTensor = (tensor: unknown) => Promise<HostTensor>;

function tfjsEntry(name: string, tfjsBackend: TfjsBackendName, description: string): BackendEntry {
  return {
    name,
    description,
    trains: true,
    async load(): Promise<LoadedBackend> {
      const adapter = await importAdapter(name, PACKAGE);
      const createNeuMFTrainer = requireFunction<CreateTfjsTrainer>(name, PACKAGE, adapter, 'createNeuMFTrainer');
      return {
        name,
        // `@mb/tfjs` makes the requested backend the process-wide active one on each creation.
        createTrainer: async (options, extras = {}) => createNeuMFTrainer({ ...options, ...extras, backend: tfjsBackend }),
        createTransformBackend: async (): Promise<ConformanceBackend<unknown>> => {
          const useBackend = requireFunction<UseBackend>(name, PACKAGE, adapter, 'useBackend');
          const fromHostTensor = requireFunction<FromHostTensor>(name, PACKAGE, adapter, 'fromHostTensor');
          const toHostTensor = requireFunction<ToHostTensor>(name, PACKAGE, adapter, 'toHostTensor');
          const ops = adapter.tfjsOps as TensorOps<unknown> | undefined;
          if (ops === undefined) throw new Error(`${PACKAGE} in this build does not export tfjsOps.`);
          await useBackend(tfjsBackend);
          return eagerConformanceBackend(ops, fromHostTensor, toHostTensor);
        },
      };
    },
  };
}

/** The TensorFlow.js backends. The two native ones need optional packages that are not installed by default. */
export const tfjsBackends: readonly BackendEntry[] = [
  tfjsEntry('tfjs-cpu', 'cpu', 'TensorFlow.js plain JavaScript cpu backend'),
  tfjsEntry('tfjs-wasm', 'wasm', 'TensorFlow.js WebAssembly backend (SIMD)'),
  tfjsEntry('tfjs-node', 'tfjs-node', 'TensorFlow.js native backend; needs @tensorflow/tfjs-node installed'),
  tfjsEntry('tfjs-node-gpu', 'tfjs-node-gpu', 'TensorFlow.js native CUDA backend; needs @tensorflow/tfjs-node-gpu and a GPU'),
];
