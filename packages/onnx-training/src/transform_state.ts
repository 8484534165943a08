import { InvalidArgumentError, formatShape, shapesEqual, sizeFromShape } from '@mb/core';
import type { GradientTransform, HostTensor, TransformSpec, TransformState } from '@mb/core';

import { GraphBuilder } from './graph.js';
import { GraphOps } from './graph_ops.js';

/**
 * Returns `state` with every tensor widened to the shape `transform.update` gives it back.
 *
 * A graph declares each state input with one static shape, so the state must keep its shape
 * from step to step, as `GradientTransform.update` promises. Core's transforms do. A transform
 * from elsewhere may start a tensor as a rank-0 zero and return it with a gradient's shape.
 * Tracing one update finds those shapes, and the rank-0 starting value is repeated to fill them.
 * That gives the same update because the transform broadcast the value anyway.
 */
export function stabilizeTransformState(
  transform: GradientTransform,
  spec: TransformSpec,
  state: TransformState<HostTensor>,
): TransformState<HostTensor> {
  const operation = 'stabilizeTransformState';
  let current = state;
  // A tensor may widen only after another one did, so the update is traced again until no
  // shape changes.
  for (let round = 0; round < 4; round++) {
    const graph = new GraphBuilder();
    const ops = new GraphOps(graph);
    const taskGradients = Array.from({ length: spec.tasks }, (_, k) => spec.sharedShapes.map((shape, j) => graph.input(`g/${k}/${j}`, shape)));
    const losses = Array.from({ length: spec.tasks }, (_, k) => graph.input(`loss/${k}`, []));
    const keys = Object.keys(current.tensors);
    const inputs = Object.fromEntries(keys.map((key) => [key, graph.input(`state/${key}`, current.tensors[key].shape)]));
    const result = transform.update(ops, { taskGradients, losses: transform.requiresLosses ? losses : undefined }, { ...current, tensors: inputs });

    let changed = false;
    const tensors: Record<string, HostTensor> = {};
    for (const key of keys) {
      const host = current.tensors[key];
      const next = result.state.tensors[key].shape;
      if (shapesEqual(host.shape, next)) {
        tensors[key] = host;
      } else if (host.shape.length === 0) {
        tensors[key] = { shape: [...next], values: new Float32Array(sizeFromShape(next)).fill(host.values[0]) };
        changed = true;
      } else {
        throw new InvalidArgumentError(
          operation,
          `state tensor "${key}" of ${transform.method} changes shape from ${formatShape(host.shape)} to ${formatShape(next)} in update, so it cannot be a graph input.`,
        );
      }
    }
    current = { ...current, tensors };
    if (!changed) return current;
  }
  throw new InvalidArgumentError(operation, `the state of ${transform.method} did not reach stable shapes after four traced updates.`);
}
