import { InvalidArgumentError, type HostTensor } from '@mb/core';

import { neumfLayout, type NeuMFConfig } from './neumf.js';
import { createRng, deriveSeed } from './rng.js';

/** Standard deviation of the normal initialisation of the embedding tables. */
export const EMBEDDING_INIT_STD = 0.01;

/**
 * Creates every NeuMF parameter, by layout name, from a seed, on the host in float32.
 *
 * - Embeddings (`user_gmf`, `item_gmf`, `user_mlp`, `item_mlp`) are drawn from
 *   N(0, EMBEDDING_INIT_STD^2), the usual NCF initialisation (PyTorch's `nn.Embedding`
 *   default would be N(0, 1)).
 * - Linear weights `[out, in]` and biases `[out]` (MLP layers and task heads) are drawn from
 *   U(-1/sqrt(in), 1/sqrt(in)), the bound that PyTorch 2.x's `nn.Linear.reset_parameters`
 *   gives (Kaiming-uniform with a = sqrt(5) for the weight, the same bound for the bias).
 *
 * Each parameter has its own stream derived from (seed, name), so adding a task head leaves
 * the other parameters unchanged. Every backend that loads these values starts identical.
 * The values do not reproduce PyTorch's own random stream.
 */
export function initNeuMFParameters(config: NeuMFConfig, seed: number): Record<string, HostTensor> {
  if (!Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError('initNeuMFParameters', `seed must be a safe integer, got ${seed}.`);
  }
  const layout = neumfLayout(config);
  const specs = [...layout.shared, ...layout.taskSpecific];
  const shapes = new Map(specs.map((spec) => [spec.name, spec.shape]));
  const parameters: Record<string, HostTensor> = {};
  for (const spec of specs) {
    const stream = createRng(deriveSeed(seed, 'neumf-init', spec.name));
    const size = spec.shape.reduce((product, dim) => product * dim, 1);
    const values = new Float32Array(size);
    if (isLinear(spec.name)) {
      // A bias takes the fan-in of its layer's weight `[out, in]`.
      const weightName = spec.name.replace(/\.bias$/, '.weight');
      const bound = 1 / Math.sqrt(shapes.get(weightName)![1]);
      for (let n = 0; n < size; n++) values[n] = (2 * stream.nextFloat() - 1) * bound;
    } else {
      for (let n = 0; n < size; n++) values[n] = EMBEDDING_INIT_STD * stream.nextNormal();
    }
    parameters[spec.name] = { shape: [...spec.shape], values };
  }
  return parameters;
}

/** Tests whether a layout name belongs to a Linear layer (MLP layer or task head). */
function isLinear(name: string): boolean {
  return name.startsWith('mlp.') || name.startsWith('heads.');
}
