import { hostTensor } from '@mb/core';
import type { HostTensor } from '@mb/core';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

import { gradients, taskGradients } from './autodiff.js';
import { GraphBuilder, attr } from './graph.js';
import type { GraphTensor } from './graph.js';
import { serializeModel } from './onnx_export.js';
import { createSession, floatTensor, int64Tensor } from './session.js';

type Build = (graph: GraphBuilder, inputs: GraphTensor[], ids: GraphTensor | undefined) => GraphTensor;

/** Deterministic pseudo-random values in [-1, 1], away from the kinks of Relu and Abs. */
function values(count: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    const v = (state / 2147483648) * 2 - 1;
    return Math.abs(v) < 0.1 ? v + Math.sign(v || 1) * 0.2 : v;
  });
}

/**
 * Compares the graph gradients of `build`'s loss, weighted by a fixed random projection so every
 * output element matters, with float32 central differences of the same graph.
 */
async function checkGradients(build: Build, inputs: HostTensor[], ids?: number[], tolerance = 2e-2): Promise<void> {
  const graph = new GraphBuilder();
  const graphInputs = inputs.map((host, n) => graph.input(`x${n}`, host.shape));
  const idInput = ids === undefined ? undefined : graph.input('ids', [ids.length], 'int64');
  const out = build(graph, graphInputs, idInput);
  const projection = graph.floatConstant(values(out.shape.reduce((a, b) => a * b, 1), 7), out.shape);
  const loss = graph.node('ReduceSum', [graph.node('Mul', [out, projection])], { keepdims: attr.int(0) });
  const grads = gradients(graph, loss, graphInputs);
  graph.output('loss', loss);
  grads.forEach((g, n) => graph.output(`grad${n}`, g));

  const session = await createSession('checkGradients', serializeModel(graph), { intraOpThreads: 1 });
  const run = async (hosts: HostTensor[]) => {
    const feeds: Record<string, ort.Tensor> = Object.fromEntries(hosts.map((h, n) => [`x${n}`, floatTensor(h)]));
    if (ids !== undefined) feeds.ids = int64Tensor(ids);
    return session.run(feeds);
  };
  try {
    const analytic = await run(inputs);
    const epsilon = 1e-2;
    for (let n = 0; n < inputs.length; n++) {
      const g = analytic[`grad${n}`].data as Float32Array;
      for (let i = 0; i < inputs[n].values.length; i++) {
        const shifted = (delta: number) =>
          inputs.map((h, m) => {
            if (m !== n) return h;
            const copy = Float32Array.from(h.values);
            copy[i] += delta;
            return { shape: h.shape, values: copy };
          });
        const plus = (await run(shifted(epsilon))).loss.data as Float32Array;
        const minus = (await run(shifted(-epsilon))).loss.data as Float32Array;
        const numeric = (plus[0] - minus[0]) / (2 * epsilon);
        expect(Math.abs(g[i] - numeric), `input ${n} element ${i}: analytic ${g[i]}, numeric ${numeric}`).toBeLessThanOrEqual(
          tolerance * Math.max(1, Math.abs(numeric)),
        );
      }
    }
  } finally {
    await session.release();
  }
}

const a23 = hostTensor(values(6, 1), [2, 3]);
const b23 = hostTensor(values(6, 2), [2, 3]);
const row3 = hostTensor(values(3, 3), [3]);
const positive23 = hostTensor(values(6, 4).map((v) => Math.abs(v) + 0.5), [2, 3]);

describe('gradients against finite differences', () => {
  it('Add with broadcasting', () => checkGradients((g, [a, b]) => g.node('Add', [a, b]), [a23, row3]));
  it('Sub with broadcasting', () => checkGradients((g, [a, b]) => g.node('Sub', [a, b]), [a23, row3]));
  it('Mul with broadcasting', () => checkGradients((g, [a, b]) => g.node('Mul', [a, b]), [a23, row3]));
  it('Div with broadcasting', () => checkGradients((g, [a, b]) => g.node('Div', [a, b]), [a23, hostTensor([1.5, -2, 0.8], [3])]));
  it('Div of equal shapes', () => checkGradients((g, [a, b]) => g.node('Div', [a, b]), [a23, positive23]));
  it('Relu', () => checkGradients((g, [a]) => g.node('Relu', [a]), [a23]));
  it('Sigmoid', () => checkGradients((g, [a]) => g.node('Sigmoid', [a]), [a23]));
  it('Softplus', () => checkGradients((g, [a]) => g.node('Softplus', [a]), [a23]));
  it('Exp', () => checkGradients((g, [a]) => g.node('Exp', [a]), [a23]));
  it('Log', () => checkGradients((g, [a]) => g.node('Log', [a]), [positive23]));
  it('Neg', () => checkGradients((g, [a]) => g.node('Neg', [a]), [a23]));
  it('Abs', () => checkGradients((g, [a]) => g.node('Abs', [a]), [a23]));
  it('Sqrt', () => checkGradients((g, [a]) => g.node('Sqrt', [a]), [positive23]));
  it('MatMul', () => checkGradients((g, [a, b]) => g.node('MatMul', [a, b]), [a23, hostTensor(values(12, 5), [3, 4])]));
  for (const transA of [0, 1]) {
    for (const transB of [0, 1]) {
      it(`Gemm transA=${transA} transB=${transB}`, () => {
        const a = transA ? hostTensor(values(6, 6), [3, 2]) : hostTensor(values(6, 6), [2, 3]);
        const b = transB ? hostTensor(values(12, 8), [4, 3]) : hostTensor(values(12, 8), [3, 4]);
        return checkGradients(
          (g, [x, w, c]) => g.node('Gemm', [x, w, c], { transA: attr.int(transA), transB: attr.int(transB) }),
          [a, b, hostTensor(values(4, 9), [4])],
        );
      });
    }
  }
  it('Concat on the last axis', () => checkGradients((g, [a, b]) => g.node('Concat', [a, b], { axis: attr.int(-1) }), [a23, hostTensor(values(4, 10), [2, 2])]));
  it('Reshape', () => checkGradients((g, [a]) => g.node('Reshape', [a, g.intConstant([3, 2])]), [a23]));
  it('Transpose', () => checkGradients((g, [a]) => g.node('Transpose', [a], { perm: attr.ints([1, 0]) }), [a23]));
  it('ReduceSum over axis 1', () => checkGradients((g, [a]) => g.node('ReduceSum', [a, g.intConstant([1])], { keepdims: attr.int(0) }), [a23]));
  it('ReduceMean over all axes', () => checkGradients((g, [a]) => g.node('ReduceMean', [a], { keepdims: attr.int(0) }), [a23]));
  it('Where', () =>
    checkGradients((g, [a, b]) => g.node('Where', [g.node('Greater', [a, b]), g.node('Mul', [a, b]), b]), [a23, b23]));
  it('Gather with duplicate ids', () =>
    checkGradients((g, [table], ids) => g.node('Gather', [table, ids!], { axis: attr.int(0) }), [hostTensor(values(8, 11), [4, 2])], [2, 0, 2, 2, 3]));

  it('small model with binary cross-entropy', () =>
    checkGradients(
      (g, [table, w, bias], ids) => {
        const x = g.node('Gather', [table, ids!]);
        const hidden = g.node('Relu', [g.node('Gemm', [x, w, bias], { transB: attr.int(1) })]);
        const logits = g.node('ReduceSum', [hidden, g.intConstant([1])], { keepdims: attr.int(0) });
        const labels = g.floatConstant([1, 0, 1, 0], [4]);
        // max(x, 0) - x * y + log(1 + exp(-|x|))
        const loss = g.node('Add', [
          g.node('Sub', [g.node('Relu', [logits]), g.node('Mul', [logits, labels])]),
          g.node('Softplus', [g.node('Neg', [g.node('Abs', [logits])])]),
        ]);
        return g.node('ReduceMean', [loss], { keepdims: attr.int(0) });
      },
      [hostTensor(values(15, 12), [5, 3]), hostTensor(values(6, 13), [2, 3]), hostTensor(values(2, 14), [2])],
      [1, 4, 1, 0],
    ));
});

describe('gradients errors', () => {
  it('names an unsupported operator', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', [3]);
    const y = graph.node('Max', [x, graph.floatConstant([0])]);
    const loss = graph.node('ReduceSum', [y], { keepdims: attr.int(0) });
    expect(() => gradients(graph, loss, [x])).toThrow(/operator Max \(node "Max_\d+"\) has no gradient rule/);
  });

  it('rejects a loss that is not rank 0', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', [3]);
    expect(() => gradients(graph, x, [x])).toThrow(/loss 0 must be a rank-0 float32 tensor, got float32\[3\]/);
  });

  it('gives zeros for an unused tensor', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', [2]);
    const unused = graph.input('unused', [2]);
    const loss = graph.node('ReduceSum', [x], { keepdims: attr.int(0) });
    const [gx, gu] = gradients(graph, loss, [x, unused]);
    graph.output('gx', gx);
    graph.output('gu', gu);
    const session = await createSession('test', serializeModel(graph));
    const result = await session.run({ x: floatTensor(hostTensor([1, 2], [2])), unused: floatTensor(hostTensor([3, 4], [2])) });
    expect(Array.from(result.gx.data as Float32Array)).toEqual([1, 1]);
    expect(Array.from(result.gu.data as Float32Array)).toEqual([0, 0]);
    await session.release();
  });
});

describe('taskGradients', () => {
  it('equals one gradients call per loss', async () => {
    // Three losses over a shared trunk that uses every rule with a task axis: Gather from a
    // parameter and from an intermediate, Gemm with transposed operands, MatMul, Concat, Transpose,
    // Reshape, broadcasting, Relu, Sigmoid and the stable cross-entropy pieces.
    const graph = new GraphBuilder();
    const table = graph.input('table', [5, 3]);
    const w = graph.input('w', [4, 3]);
    const v = graph.input('v', [4, 2]);
    const bias = graph.input('bias', [4]);
    const m = graph.input('m', [2, 4]);
    const ids = graph.input('ids', [4], 'int64');
    const rows = graph.node('Gather', [table, ids], { axis: attr.int(0) });
    const hidden = graph.node('Relu', [graph.node('Gemm', [rows, w], { transB: attr.int(1) })]);
    const other = graph.node('Gemm', [v, hidden, bias], { transA: attr.int(1), transB: attr.int(1) });
    const mixed = graph.node('Concat', [graph.node('Transpose', [other], { perm: attr.ints([1, 0]) }), graph.node('MatMul', [hidden, graph.node('Transpose', [m], { perm: attr.ints([1, 0]) })])], { axis: attr.int(1) });
    const reread = graph.node('Gather', [graph.node('Sigmoid', [mixed]), graph.intConstant([1, 1, 3])], { axis: attr.int(0) });
    const flat = graph.node('Reshape', [reread, graph.intConstant([12])]);
    const losses = [0, 1, 2].map((k) => {
      const scaled = graph.node('Mul', [flat, graph.floatConstant(values(12, 20 + k), [12])]);
      const stable = graph.node('Add', [graph.node('Relu', [scaled]), graph.node('Softplus', [graph.node('Neg', [graph.node('Abs', [scaled])])])]);
      return graph.node('ReduceMean', [stable], { keepdims: attr.int(0) });
    });
    const wrt = [table, w, v, bias, m];
    const batched = taskGradients(graph, losses, wrt);
    const separate = losses.map((loss) => gradients(graph, loss, wrt));
    losses.forEach((_, k) =>
      wrt.forEach((_, j) => {
        graph.output(`batched/${k}/${j}`, batched[k][j]);
        graph.output(`separate/${k}/${j}`, separate[k][j]);
      }),
    );
    const session = await createSession('test', serializeModel(graph), { intraOpThreads: 1 });
    try {
      const result = await session.run({
        table: floatTensor(hostTensor(values(15, 31), [5, 3])),
        w: floatTensor(hostTensor(values(12, 32), [4, 3])),
        v: floatTensor(hostTensor(values(8, 33), [4, 2])),
        bias: floatTensor(hostTensor(values(4, 34), [4])),
        m: floatTensor(hostTensor(values(8, 35), [2, 4])),
        ids: int64Tensor([2, 0, 2, 4]),
      });
      losses.forEach((_, k) =>
        wrt.forEach((x, j) => {
          const a = Array.from(result[`batched/${k}/${j}`].data as Float32Array);
          const b = Array.from(result[`separate/${k}/${j}`].data as Float32Array);
          expect(a.some((value) => value !== 0), `loss ${k} input ${x.name}`).toBe(true);
          a.forEach((value, i) => expect(value, `loss ${k} input ${x.name} element ${i}`).toBeCloseTo(b[i], 6));
        }),
      );
    } finally {
      await session.release();
    }
  });
});
