import { referenceOps } from '@mb/core';
import type { HostTensor } from '@mb/core';
import { eagerConformanceBackend } from '@mb/core/testing';
import type { ConformanceBackend } from '@mb/core/testing';

import type { BackendEntry, LoadedBackend } from './types.js';

/** Core's float32 host implementation of `TensorOps`; it runs transforms only, not NeuMF training. */
export const referenceBackend: BackendEntry = {
  name: 'reference',
  description: "core's float32 host tensor operations (golden transform cases only, no trainer)",
  trains: false,
  async load(): Promise<LoadedBackend> {
    const identity = (x: HostTensor): HostTensor => x;
    const backend = eagerConformanceBackend(referenceOps, identity, identity) as ConformanceBackend<unknown>;
    return { name: 'reference', createTransformBackend: async () => backend };
  },
};
