import { describe, expect, it } from 'vitest';

import { sampleReport } from '../testing/sample_report.js';
import { formatCrossCheckTable, formatMeanAndDeviation, formatSummaryTables, formatTable } from './table.js';

describe('formatTable', () => {
  it('pads columns and aligns numbers to the right', () => {
    const table = formatTable(['name', 'value'], [['a', '1.5'], ['longer', '10.25']], ['left', 'right']);
    expect(table.split('\n')).toEqual(['name    value', '------  -----', 'a         1.5', 'longer  10.25']);
  });
});

describe('formatMeanAndDeviation', () => {
  it('shows the deviation only when there is one', () => {
    expect(formatMeanAndDeviation({ mean: 0.12345, std: 0.01, count: 2 })).toBe('0.1235 ± 0.0100');
    expect(formatMeanAndDeviation({ mean: 0.12345, std: null, count: 1 })).toBe('0.1235');
    expect(formatMeanAndDeviation({ mean: Number.NaN, std: null, count: 0 })).toBe('n/a');
  });
});

describe('formatSummaryTables', () => {
  const text = formatSummaryTables(sampleReport());
  const lines = text.split('\n');

  it('has a test and a validation table', () => {
    expect(lines[0]).toContain('Test split, target behaviour "buy" (25 held-out pairs)');
    expect(text).toContain('Validation split, target behaviour "buy" (20 held-out pairs)');
    expect(lines[1].split(/\s{2,}/)).toEqual(['backend', 'method', 'runs', 'NDCG@10', 'Recall@10', 'NDCG@20', 'Recall@20', 'examples/s']);
  });

  it('gives the mean and deviation over seeds', () => {
    const row = lines.find((line) => line.startsWith('tfjs-cpu  equal'))!;
    // NDCG@10 over seeds is 0.1 and 0.2: mean 0.15, sample deviation 0.0707; 200 examples in 1 s.
    expect(row.split(/\s{2,}/)).toEqual(['tfjs-cpu', 'equal', '2', '0.1500 ± 0.0707', '0.3000 ± 0.1414', '0.2000 ± 0.0707', '0.4000 ± 0.1414', '200']);
  });

  it('counts failed seeds', () => {
    const row = lines.find((line) => line.startsWith('tfjs-cpu  metabalance'))!;
    expect(row).toContain('1 (1 failed)');
    expect(row).toContain('0.3000');
  });
});

describe('formatCrossCheckTable', () => {
  it('marks groups above the tolerance', () => {
    const text = formatCrossCheckTable([
      { method: 'equal', seed: 1, backends: ['a', 'b'], perStep: [0, 0.01], maxRelativeDifference: 0.01, maxStep: 2, firstStepAboveTolerance: 2, tolerance: 1e-3, exceedsTolerance: true },
      { method: 'single', seed: 1, backends: ['a', 'b'], perStep: [0], maxRelativeDifference: 0, maxStep: 0, firstStepAboveTolerance: 0, tolerance: 1e-3, exceedsTolerance: false },
    ]);
    const lines = text.split('\n');
    expect(lines[3].split(/\s{2,}/)).toEqual(['equal', '1', 'b vs a', '1.00e-2', '2', '2', 'ABOVE 0.001']);
    expect(lines[4].split(/\s{2,}/)).toEqual(['single', '1', 'b vs a', '0.00e+0', '0', '-', 'ok']);
  });
});
