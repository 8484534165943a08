import type { ConformanceBackend } from '@mb/core/testing';
import type { NeuMFTrainer, NeuMFTrainerOptions } from '@mb/recsys';

import { importAdapter, requireFunction } from './adapter_import.js';
import type { BackendEntry, BackendSettings, LoadedBackend } from './types.js';

const PACKAGE = '@mb/onnx-training';

/** Execution provider names as `@mb/onnx-training` takes them. */
export type OnnxExecutionProvider = 'cpu' | 'cuda';

type GraphConformanceBackend = (options: { executionProvider: OnnxExecutionProvider; intraOpThreads?: number }) => ConformanceBackend<unknown>;

type CreateOnnxTrainer = (
  options: NeuMFTrainerOptions & { executionProvider: OnnxExecutionProvider; intraOpThreads?: number },
) => NeuMFTrainer | Promise<NeuMFTrainer>;

function onnxEntry(name: string, executionProvider: OnnxExecutionProvider, description: string): BackendEntry {
  return {
    name,
    description,
    trains: true,
    async load(settings: BackendSettings): Promise<LoadedBackend> {
      const adapter = await importAdapter(name, PACKAGE);
      const createNeuMFTrainer = requireFunction<CreateOnnxTrainer>(name, PACKAGE, adapter, 'createNeuMFTrainer');
      const threads = settings.onnxThreads === undefined ? {} : { intraOpThreads: settings.onnxThreads };
      return {
        name,
        createTrainer: async (options) => createNeuMFTrainer({ ...options, executionProvider, ...threads }),
        // Each evaluation traces core's transform into a fresh ONNX graph and runs it once.
        createTransformBackend: async () => {
          const graphConformanceBackend = requireFunction<GraphConformanceBackend>(name, PACKAGE, adapter, 'graphConformanceBackend');
          return graphConformanceBackend({ executionProvider, ...threads });
        },
      };
    },
  };
}

/** The ONNX Runtime backends, each running a whole training step as one graph. */
export const onnxBackends: readonly BackendEntry[] = [
  onnxEntry('onnx-cpu', 'cpu', 'ONNX Runtime (onnxruntime-node) CPU execution provider'),
  onnxEntry('onnx-cuda', 'cuda', 'ONNX Runtime CUDA execution provider; needs a GPU and the CUDA build'),
];
