import { runConformanceCase, tensorOpsConformanceCases } from '@mb/core/testing';
import { describe, expect, it } from 'vitest';

import { GraphBuilder } from './graph.js';
import { GraphOps, graphConformanceBackend } from './graph_ops.js';

describe('GraphOps conformance', () => {
  const backend = graphConformanceBackend({ intraOpThreads: 1 });
  for (const testCase of tensorOpsConformanceCases) {
    it(testCase.name, async () => {
      await runConformanceCase(backend, testCase);
    });
  }
});

describe('GraphOps argument checks', () => {
  it('rejects mismatched shapes', () => {
    const graph = new GraphBuilder();
    const ops = new GraphOps(graph);
    const a = graph.input('a', [2, 3]);
    const b = graph.input('b', [3, 2]);
    expect(() => ops.add(a, b)).toThrow(/GraphOps.add: operands must have equal shapes or be rank 0, got \[2,3\] and \[3,2\]/);
  });

  it('rejects a non-scalar scale factor', () => {
    const graph = new GraphBuilder();
    const ops = new GraphOps(graph);
    const a = graph.input('a', [2]);
    expect(() => ops.scale(a, a)).toThrow(/factor must be rank 0/);
  });

  it('records identical operations once', () => {
    const graph = new GraphBuilder();
    const ops = new GraphOps(graph);
    const a = graph.input('a', [2]);
    const b = graph.input('b', [2]);
    expect(ops.add(a, b)).toBe(ops.add(a, b));
    expect(graph.nodes.length).toBe(1);
  });
});
