import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { main } from './cli.js';
import { findBackend } from './backends/registry.js';
import { BackendUnavailableError } from './backends/types.js';
import type { BenchReport } from './results.js';
import { collectingStream } from './testing/streams.js';

/** The backends that can run on any machine; the native and GPU ones need optional installs. */
const PORTABLE_BACKENDS = ['tfjs-cpu', 'tfjs-wasm', 'onnx-cpu'];

async function availableBackends(): Promise<string[]> {
  const available: string[] = [];
  for (const name of PORTABLE_BACKENDS) {
    try {
      await findBackend(name).load({});
      available.push(name);
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      console.log(`train end-to-end test skips ${name}: ${error.message}`);
    }
  }
  return available;
}

const backends = await availableBackends();

describe('train on the real adapters', () => {
  it.skipIf(backends.length === 0)('trains a tiny synthetic set on every available backend', { timeout: 120_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'mb-train-e2e-'));
    const stdout = collectingStream();
    const stderr = collectingStream();
    const args = [
      'train', '--backend', backends.join(','), '--method', 'equal,metabalance', '--epochs', '2',
      '--synthetic-users', '80', '--synthetic-items', '40', '--synthetic-clicks', '12',
      '--batch-size', '64', '--factor', '2', '--out', out,
    ];
    const status = await main(args, { stdout, stderr });
    expect(stderr.text()).not.toContain('failed');
    expect(status).toBe(0);

    const report = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchReport;
    expect(report.runs).toHaveLength(2 * backends.length);
    for (const run of report.runs) {
      expect(run.status).toBe('completed');
      expect(run.stepLosses.every((losses) => losses.every(Number.isFinite))).toBe(true);
      // Training lowers the summed loss from the first epoch to the second.
      const [first, second] = run.epochs.map((epoch) => epoch.meanLosses.reduce((a, b) => a + b, 0));
      expect(second).toBeLessThan(first);
      expect(run.gradientSamples.length).toBeGreaterThan(0);
    }
    // MetaBalance rescales auxiliary gradients, so its factors are not all 1; equal weighting's are.
    const sample = (method: string) => report.runs.find((run) => run.method === method)!.gradientSamples.at(-1)!;
    expect(sample('equal').after).toEqual(sample('equal').before);
    expect(sample('metabalance').after).not.toEqual(sample('metabalance').before);

    if (backends.length > 1) {
      // Same seed, parameters and batches: the backends agree far below the warning tolerance
      // over this short run.
      for (const check of report.crossChecks) expect(check.maxRelativeDifference).toBeLessThan(1e-4);
    }
    expect(stdout.text()).toContain('Test split, target behaviour "buy"');
  });
});
