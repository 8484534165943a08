import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, formatShape, shapesEqual } from '../errors.js';
import { referenceOps } from '../reference/reference_ops.js';
import { deserializeState, serializeState } from '../state_serialization.js';
import type { HostTensor, TensorOps } from '../tensor_ops.js';
import type { GradientTransform, TransformResult, TransformState } from '../transform.js';
import { FIXTURE_SHAPES, FIXTURE_SPEC, FIXTURE_STEPS, type FixtureStep, hostInput, runFixtureSteps, valuesOf } from './method_test_fixtures.js';
import { TRANSFORM_METHODS, createTransform, transformDescription, transformOptionNames } from './registry.js';

const BASELINES = ['uncertainty', 'dwa', 'gradnorm', 'mgda', 'pcgrad', 'gcs', 'olaux', 'mtadam'];

function allFinite(result: TransformResult<HostTensor>): boolean {
  const tensors = [
    ...result.combined,
    ...result.taskNorms.flat(),
    ...result.taskWeights.flat(),
    ...Object.values(result.state.tensors),
  ];
  return tensors.every((x) => valuesOf(x).every(Number.isFinite));
}

function stepsFrom(gradients: number[][][], count: number): FixtureStep[] {
  return Array.from({ length: count }, (_, t) => ({ gradients, losses: [0.5 + 0.1 * t, 0.8 - 0.1 * t] }));
}

function dotAll(a: HostTensor, b: number[]): number {
  return valuesOf(a).reduce((sum, x, i) => sum + x * b[i], 0);
}

/** Copies a state, so that later steps cannot share tensors with it. */
function stateSnapshot(state: TransformState<HostTensor>): Record<string, { shape: number[]; values: number[] }> {
  const snapshot: Record<string, { shape: number[]; values: number[] }> = {};
  for (const [name, x] of Object.entries(state.tensors)) snapshot[name] = { shape: [...x.shape], values: valuesOf(x) };
  return snapshot;
}

/**
 * A backend that records shapes only, as a graph builder does before any value exists. It
 * checks the `TensorOps` shape contract on every call.
 */
interface SymbolicTensor {
  readonly shape: readonly number[];
}

function broadcast(operation: string, ...xs: SymbolicTensor[]): SymbolicTensor {
  let shape: readonly number[] = [];
  for (const x of xs) {
    if (x.shape.length === 0) continue;
    if (shape.length === 0) shape = x.shape;
    else if (!shapesEqual(shape, x.shape)) throw new Error(`${operation}: shapes ${formatShape(shape)} and ${formatShape(x.shape)}`);
  }
  return { shape };
}

function symbolicOps(): TensorOps<SymbolicTensor> & { nodes: number } {
  const scalarTensor: SymbolicTensor = { shape: [] };
  const ops = {
    nodes: 0,
    backendName: 'symbolic',
    shape: (x: SymbolicTensor) => x.shape,
    scalar: () => (ops.nodes++, scalarTensor),
    zeros: (shape: readonly number[]) => (ops.nodes++, { shape }),
    zerosLike: (x: SymbolicTensor) => (ops.nodes++, { shape: x.shape }),
    add: (a: SymbolicTensor, b: SymbolicTensor) => (ops.nodes++, broadcast('add', a, b)),
    sub: (a: SymbolicTensor, b: SymbolicTensor) => (ops.nodes++, broadcast('sub', a, b)),
    mul: (a: SymbolicTensor, b: SymbolicTensor) => (ops.nodes++, broadcast('mul', a, b)),
    div: (a: SymbolicTensor, b: SymbolicTensor) => (ops.nodes++, broadcast('div', a, b)),
    scale: (x: SymbolicTensor, factor: SymbolicTensor) => {
      if (factor.shape.length !== 0) throw new Error('scale: factor must be rank 0');
      ops.nodes++;
      return { shape: x.shape };
    },
    maximum: (a: SymbolicTensor, b: SymbolicTensor) => (ops.nodes++, broadcast('maximum', a, b)),
    minimum: (a: SymbolicTensor, b: SymbolicTensor) => (ops.nodes++, broadcast('minimum', a, b)),
    greater: (a: SymbolicTensor, b: SymbolicTensor) => (ops.nodes++, broadcast('greater', a, b)),
    equal: (a: SymbolicTensor, b: SymbolicTensor) => (ops.nodes++, broadcast('equal', a, b)),
    where: (c: SymbolicTensor, a: SymbolicTensor, b: SymbolicTensor) => (ops.nodes++, broadcast('where', c, a, b)),
    neg: (x: SymbolicTensor) => (ops.nodes++, { shape: x.shape }),
    abs: (x: SymbolicTensor) => (ops.nodes++, { shape: x.shape }),
    sqrt: (x: SymbolicTensor) => (ops.nodes++, { shape: x.shape }),
    exp: (x: SymbolicTensor) => (ops.nodes++, { shape: x.shape }),
    log: (x: SymbolicTensor) => (ops.nodes++, { shape: x.shape }),
    sum: () => (ops.nodes++, scalarTensor),
    norm: () => (ops.nodes++, scalarTensor),
    dot: (a: SymbolicTensor, b: SymbolicTensor) => {
      if (!shapesEqual(a.shape, b.shape)) throw new Error('dot: shapes differ');
      ops.nodes++;
      return scalarTensor;
    },
    allFinite: () => (ops.nodes++, scalarTensor),
  };
  return ops;
}

describe('transform registry', () => {
  it('lists every method', () => {
    expect(TRANSFORM_METHODS).toEqual(['single', 'equal', 'metabalance', ...BASELINES]);
  });

  it('rejects an unknown method', () => {
    expect(() => createTransform('adamw')).toThrow(InvalidArgumentError);
    expect(() => createTransform('adamw')).toThrow(`Valid methods: ${TRANSFORM_METHODS.join(', ')}.`);
    expect(() => createTransform('toString')).toThrow(/unknown method "toString"/);
  });

  it('rejects unknown and invalid options', () => {
    expect(() => createTransform('metabalance', { relax: 0.5 })).toThrow(
      'unknown option "relax". Valid options: relaxFactor, beta, strategy.',
    );
    expect(() => createTransform('equal', { beta: 0.5 })).toThrow('Valid options: none.');
    expect(() => createTransform('metabalance', { relaxFactor: '0.5' })).toThrow(/options.relaxFactor/);
    expect(() => createTransform('dwa', [] as never)).toThrow(/options must be an object/);
  });

  it('passes options to the factory', () => {
    expect(createTransform('metabalance', { relaxFactor: 0.5 }).options.relaxFactor).toBe(0.5);
    expect(createTransform('mgda', { iterations: 3 }).options).toEqual({ iterations: 3, scope: 'all' });
    expect(transformOptionNames('pcgrad')).toEqual(['scope']);
  });

  it('describes every method', () => {
    for (const name of TRANSFORM_METHODS) expect(transformDescription(name).length).toBeGreaterThan(10);
    expect(() => transformDescription('sgd')).toThrow(/unknown method "sgd"/);
  });
});

describe.each(TRANSFORM_METHODS)('%s transform', (name) => {
  const transform: GradientTransform = createTransform(name);

  it('reports its registry name', () => {
    expect(transform.method).toBe(name);
  });

  it('stays finite on conflicting gradients', () => {
    const g0 = FIXTURE_STEPS[0].gradients[0];
    const g1 = g0.map((t) => t.map((x) => -2 * x));
    for (const result of runFixtureSteps(transform, stepsFrom([g0, g1], 3))) {
      expect(valuesOf(result.finite)).toEqual([1]);
      expect(allFinite(result)).toBe(true);
    }
  });

  it('follows the target on aligned gradients', () => {
    const g0 = FIXTURE_STEPS[0].gradients[0];
    const g1 = g0.map((t) => t.map((x) => 3 * x));
    for (const result of runFixtureSteps(transform, stepsFrom([g0, g1], 3))) {
      expect(allFinite(result)).toBe(true);
      result.combined.forEach((tensor, j) => expect(dotAll(tensor, g0[j])).toBeGreaterThan(0));
    }
  });

  it('returns zeros for zero gradients', () => {
    const zeros = FIXTURE_STEPS[0].gradients.map((task) => task.map((t) => t.map(() => 0)));
    for (const result of runFixtureSteps(transform, stepsFrom(zeros, 3))) {
      expect(valuesOf(result.finite)).toEqual([1]);
      expect(allFinite(result)).toBe(true);
      for (const tensor of result.combined) expect(valuesOf(tensor).every((x) => x === 0)).toBe(true);
    }
  });

  it('stays finite when only the target is zero', () => {
    const g0 = FIXTURE_STEPS[0].gradients[0].map((t) => t.map(() => 0));
    const g1 = FIXTURE_STEPS[0].gradients[1];
    for (const result of runFixtureSteps(transform, stepsFrom([g0, g1], 3))) {
      expect(allFinite(result)).toBe(true);
    }
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])('keeps state on a %s gradient', (bad) => {
    const [, second] = runFixtureSteps(transform, FIXTURE_STEPS.slice(0, 2));
    const before = stateSnapshot(second.state);
    const gradients = FIXTURE_STEPS[2].gradients.map((task) => task.map((t) => [...t]));
    gradients[1][1][2] = bad;
    const result = transform.update(referenceOps, hostInput(gradients, FIXTURE_SHAPES, FIXTURE_STEPS[2].losses), second.state);
    expect(valuesOf(result.finite)).toEqual([0]);
    for (const tensor of result.combined) expect(valuesOf(tensor).every((x) => x === 0)).toBe(true);
    expect(stateSnapshot(result.state)).toEqual(before);
  });

  it.runIf(transform.requiresLosses)('keeps state on a NaN loss', () => {
    const [first] = runFixtureSteps(transform, FIXTURE_STEPS.slice(0, 1));
    const before = stateSnapshot(first.state);
    const step = FIXTURE_STEPS[1];
    const result = transform.update(referenceOps, hostInput(step.gradients, FIXTURE_SHAPES, [Number.NaN, 1]), first.state);
    expect(valuesOf(result.finite)).toEqual([0]);
    expect(stateSnapshot(result.state)).toEqual(before);
  });

  it('continues identically after serialization', async () => {
    const [, second] = runFixtureSteps(transform, FIXTURE_STEPS.slice(0, 2));
    const json = JSON.stringify(await serializeState(second.state, (x) => x));
    const restored = deserializeState(JSON.parse(json), (host) => host);
    expect(restored.signature).toBe(second.state.signature);

    const step = FIXTURE_STEPS[2];
    const input = hostInput(step.gradients, FIXTURE_SHAPES, step.losses);
    const direct = transform.update(referenceOps, input, second.state);
    const resumed = transform.update(referenceOps, input, restored);
    expect(resumed.combined.map(valuesOf)).toEqual(direct.combined.map(valuesOf));
    expect(stateSnapshot(resumed.state)).toEqual(stateSnapshot(direct.state));
  });

  it('rejects a state from another configuration', () => {
    const other = createTransform(name === 'equal' ? 'metabalance' : 'equal');
    const state = other.init(referenceOps, FIXTURE_SPEC);
    const step = FIXTURE_STEPS[0];
    expect(() => transform.update(referenceOps, hostInput(step.gradients, FIXTURE_SHAPES, step.losses), state)).toThrow(
      /state was built for/,
    );
  });

  it('requires losses only when declared', () => {
    const state = transform.init(referenceOps, FIXTURE_SPEC);
    const input = hostInput(FIXTURE_STEPS[0].gradients, FIXTURE_SHAPES);
    if (transform.requiresLosses) expect(() => transform.update(referenceOps, input, state)).toThrow(/losses are required/);
    else expect(valuesOf(transform.update(referenceOps, input, state).finite)).toEqual([1]);
  });

  it('rebuilds from its resolved options', () => {
    const rebuilt = createTransform(name, { ...transform.options });
    expect(rebuilt.options).toEqual(transform.options);
    expect(rebuilt.init(referenceOps, FIXTURE_SPEC).signature).toBe(transform.init(referenceOps, FIXTURE_SPEC).signature);
  });

  it('traces on a shape-only backend with four tasks', () => {
    const ops = symbolicOps();
    const sharedShapes = [[5, 3], [3], [1]];
    const spec = { tasks: 4, sharedShapes };
    const state = transform.init(ops, spec);
    const input = {
      taskGradients: Array.from({ length: 4 }, () => sharedShapes.map((shape) => ({ shape }))),
      losses: Array.from({ length: 4 }, () => ({ shape: [] })),
    };
    const result = transform.update(ops, input, state);
    expect(result.combined.map((x) => x.shape)).toEqual(sharedShapes);
    expect(result.finite.shape).toEqual([]);
    expect(result.taskWeights.flat().every((w) => w.shape.length === 0)).toBe(true);
    expect(Object.keys(result.state.tensors).sort()).toEqual(Object.keys(state.tensors).sort());
    for (const [key, tensor] of Object.entries(result.state.tensors)) {
      expect({ key, shape: tensor.shape }).toEqual({ key, shape: state.tensors[key].shape });
    }
  });
});
