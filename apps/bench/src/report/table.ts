import type { MeanAndDeviation } from '../statistics.js';
import { metricLabels } from '../results.js';
import type { BenchReport, CrossCheck } from '../results.js';

/** Column alignment: text columns to the left, numbers to the right. */
export type Alignment = 'left' | 'right';

/** Lays out rows as a plain-text table with a header line, two spaces between columns. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], alignments: readonly Alignment[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (alignments[column] === 'right' ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** Formats a mean with its sample standard deviation, or the mean alone for one value. */
export function formatMeanAndDeviation(value: MeanAndDeviation, digits = 4): string {
  if (value.count === 0 || Number.isNaN(value.mean)) return 'n/a';
  if (value.std === null) return value.mean.toFixed(digits);
  return `${value.mean.toFixed(digits)} ± ${value.std.toFixed(digits)}`;
}

/** Formats the test and validation tables that `train` prints on stdout. */
export function formatSummaryTables(report: BenchReport): string {
  const labels = metricLabels();
  const target = report.dataset.behaviors[0];
  const seeds = (report.config.seeds as readonly number[] | undefined) ?? [];
  const sections: string[] = [];
  for (const split of ['test', 'validation'] as const) {
    const users = split === 'test' ? report.dataset.testPairs : report.dataset.validationPairs;
    const title =
      `${split === 'test' ? 'Test' : 'Validation'} split, target behaviour "${target}" (${users} held-out pairs), ` +
      `mean ± sample standard deviation over seeds ${seeds.join(', ')}`;
    const rows = report.summary.map((row) => [
      row.backend,
      row.method,
      runCount(row.seeds.length, row.failedSeeds.length),
      ...labels.map((label) => formatMeanAndDeviation(row.metrics[split][label])),
      ...(split === 'test' ? [formatSpeed(row.examplesPerSecond)] : []),
    ]);
    const headers = ['backend', 'method', 'runs', ...labels, ...(split === 'test' ? ['examples/s'] : [])];
    const alignments: Alignment[] = ['left', 'left', 'right', ...labels.map((): Alignment => 'right'), 'right'];
    sections.push(`${title}\n${formatTable(headers, rows, alignments)}`);
  }
  return sections.join('\n\n');
}

/** Formats the cross-backend loss comparison table. */
export function formatCrossCheckTable(checks: readonly CrossCheck[]): string {
  const rows = checks.map((check) => [
    check.method,
    String(check.seed),
    `${check.backends.slice(1).join(', ')} vs ${check.backends[0]}`,
    formatDifference(check.maxRelativeDifference),
    String(check.maxStep),
    check.firstStepAboveTolerance === 0 ? '-' : String(check.firstStepAboveTolerance),
    check.exceedsTolerance ? `ABOVE ${check.tolerance}` : 'ok',
  ]);
  const headers = ['method', 'seed', 'backends', 'max relative loss difference', 'at step', 'first step above', 'status'];
  return `Cross-backend check: per-step loss of every task, same seed, initial parameters and batches\n${formatTable(headers, rows, ['left', 'right', 'left', 'right', 'right', 'right', 'left'])}`;
}

/** Formats a relative difference in scientific notation, as `NaN` when a loss was not finite. */
export function formatDifference(value: number): string {
  return Number.isNaN(value) ? 'NaN' : value.toExponential(2);
}

function runCount(completed: number, failed: number): string {
  return failed === 0 ? String(completed) : `${completed} (${failed} failed)`;
}

function formatSpeed(value: MeanAndDeviation): string {
  return value.count === 0 || Number.isNaN(value.mean) ? 'n/a' : Math.round(value.mean).toLocaleString('en-US');
}
