import { describe, expect, it } from 'vitest';

import {
  compareHostTensors,
  eagerConformanceBackend,
  runConformanceCase,
  tensorOpsConformanceCases,
} from '../testing/conformance.js';
import { hostTensor, referenceOps } from './reference_ops.js';

const backend = eagerConformanceBackend(referenceOps, (host) => host, (x) => x);

describe('referenceOps conformance', () => {
  for (const testCase of tensorOpsConformanceCases) {
    it(testCase.name, async () => {
      await runConformanceCase(backend, testCase);
    });
  }
});

describe('referenceOps argument checks', () => {
  const a = hostTensor([1, 2, 3], [3]);
  const b = hostTensor([1, 2], [2]);

  it('rejects mismatched shapes, naming the op', () => {
    expect(() => referenceOps.add(a, b)).toThrow(/Error in add: operands must have the same shape or be rank 0, got \[3\] and \[2\]/);
    expect(() => referenceOps.where(hostTensor([1, 0], [2]), a, a)).toThrow(/Error in where/);
    expect(() => referenceOps.dot(a, b)).toThrow(/Error in dot/);
  });

  it('rejects a non-scalar scale factor', () => {
    expect(() => referenceOps.scale(a, a)).toThrow(/Error in scale: factor must be rank 0, got shape \[3\]/);
  });

  it('hostTensor checks the value count', () => {
    expect(() => hostTensor([1, 2, 3], [2, 2])).toThrow(/values has 3 elements but shape \[2,2\] needs 4/);
  });

  it('does not modify its inputs', () => {
    const x = hostTensor([1, -2], [2]);
    referenceOps.add(x, referenceOps.scalar(1));
    referenceOps.neg(x);
    expect(Array.from(x.values)).toEqual([1, -2]);
  });
});

describe('conformance harness', () => {
  it('reports a wrong backend', async () => {
    const wrong = eagerConformanceBackend(
      { ...referenceOps, backendName: 'wrong', sub: referenceOps.add },
      (host) => host,
      (x) => x,
    );
    const subCase = tensorOpsConformanceCases.find((c) => c.name.startsWith('add, sub'));
    await expect(runConformanceCase(wrong, subCase!)).rejects.toThrow(/wrong: add, sub, mul and div on equal shapes: output 1/);
  });

  it('compareHostTensors treats NaN and infinities exactly', () => {
    const expected = hostTensor([NaN, Infinity, 1], [3]);
    expect(compareHostTensors(hostTensor([NaN, Infinity, 1], [3]), expected, 1e-6)).toBeNull();
    expect(compareHostTensors(hostTensor([0, Infinity, 1], [3]), expected, 1e-6)).toMatch(/element 0/);
    expect(compareHostTensors(hostTensor([NaN, 1e30, 1], [3]), expected, 1e-6)).toMatch(/element 1/);
    expect(compareHostTensors(hostTensor([NaN, Infinity], [2]), expected, 1e-6)).toMatch(/shape/);
  });
});
