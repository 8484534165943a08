import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findSharedDir } from '@mb/core/testing';
import { describe, expect, it } from 'vitest';

import { findBackend } from './backends/registry.js';
import { BackendUnavailableError } from './backends/types.js';
import { main } from './cli.js';
import { relativeError, runGoldenFile } from './golden.js';
import { collectingStream } from './testing/streams.js';

const shared = findSharedDir();
const goldenPath = shared === null ? '' : join(shared, 'golden', 'metabalance.json');
if (shared === null) console.log('golden command tests skipped: the shared folder with the golden reference file was not found.');

/** Adapter backends whose packages load in this build; the others are skipped with a note. */
async function loadableBackends(names: readonly string[]): Promise<string[]> {
  const loadable: string[] = [];
  for (const name of names) {
    try {
      await findBackend(name).load({});
      loadable.push(name);
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      console.log(`golden command test skips ${name}: ${error.message}`);
    }
  }
  return loadable;
}

const adapterBackends = await loadableBackends(['tfjs-cpu', 'tfjs-wasm', 'onnx-cpu']);

async function runGolden(args: string[]): Promise<{ status: number; stdout: string; stderr: string; summary: Record<string, unknown> }> {
  const stdout = collectingStream();
  const stderr = collectingStream();
  const status = await main(['golden', ...args], { stdout, stderr });
  const lines = stdout.text().trimEnd().split('\n');
  return { status, stdout: stdout.text(), stderr: stderr.text(), summary: JSON.parse(lines[lines.length - 1]) as Record<string, unknown> };
}

describe('relativeError', () => {
  it('is relative above the floor and absolute below it', () => {
    expect(relativeError(1.0001, 1)).toBeCloseTo(1e-4, 10);
    expect(relativeError(1e-6, 0)).toBeCloseTo(1e-3, 10);
    expect(relativeError(Number.NaN, 1)).toBeNaN();
  });
});

describe('runGoldenFile', () => {
  it('skips a training case with decoupled weight decay', async () => {
    const trainingCase = { name: 'adamw_case', relaxFactor: 0.7, beta: 0.9, model: {}, adam: { weightDecayMode: 'decoupled' }, steps: [] };
    const backend = {
      name: 'fake',
      createTrainer: async () => {
        throw new Error('the trainer must not be created');
      },
    };
    const [result] = await runGoldenFile({ description: '', seed: 0, cases: [trainingCase] }, backend);
    expect(result.ran).toBe(false);
    expect(result.reason).toContain('weight decay mode "decoupled"');
  });
});

describe('golden command', () => {
  it.skipIf(shared === null)('passes the transform cases on the reference backend', async () => {
    const { status, stdout, summary } = await runGolden([goldenPath, '--backend', 'reference']);
    expect(status).toBe(0);
    expect(summary.backend).toBe('reference');
    expect(summary.cases).toEqual(['defaults_four_tasks', 'low_relax_fast_average', 'relax_zero_is_plain_sum', 'near_full_equalization_no_average']);
    expect(summary.maxRelativeError as number).toBeLessThan(1e-5);
    expect(stdout).toContain('neumf_three_steps (training): not run, backend reference has no NeuMF trainer');
  });

  it.skipIf(shared === null || adapterBackends.length === 0)('passes every case on the adapter backends', { timeout: 60_000 }, async () => {
    for (const backend of adapterBackends) {
      const { status, stdout, summary } = await runGolden([goldenPath, '--backend', backend]);
      expect(summary.backend).toBe(backend);
      // The tfjs trainer reports its gradients, so they are compared with the golden ones too.
      if (backend.startsWith('tfjs')) expect(stdout).toContain('losses, combined shared gradients, head gradients, parameters after each step');
      expect(summary.cases).toHaveLength(5);
      expect(summary.cases).toContain('neumf_three_steps');
      expect(summary.maxRelativeError as number).toBeLessThan(1e-4);
      expect(status).toBe(0);
    }
  });

  it.skipIf(shared === null)('fails when a golden value is changed', async () => {
    const file = JSON.parse(await readFile(goldenPath, 'utf8'));
    file.cases[0].steps[1].combined[0][2] *= 1.001;
    const path = join(await mkdtemp(join(tmpdir(), 'mb-golden-')), 'changed.json');
    await writeFile(path, JSON.stringify(file));

    const { status, stdout, summary } = await runGolden([path]);
    expect(status).toBe(1);
    expect(summary.maxRelativeError as number).toBeGreaterThan(5e-4);
    expect(stdout).toContain('defaults_four_tasks (transform): FAILED');
    expect(stdout).toContain('step 2 combined[0][2]');
  });

  it('reports a file that is not a golden file', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'mb-golden-')), 'bad.json');
    await writeFile(path, JSON.stringify({ cases: [{ name: 'x' }] }));
    const stdout = collectingStream();
    const stderr = collectingStream();
    expect(await main(['golden', path], { stdout, stderr })).toBe(1);
    expect(stderr.text()).toContain('case x: "steps" must be an array.');
  });

  it('rejects a missing file argument and an unknown backend with status 2', async () => {
    const stderr = collectingStream();
    expect(await main(['golden'], { stdout: collectingStream(), stderr })).toBe(2);
    expect(stderr.text()).toContain('golden needs the path of a golden file');
    expect(await main(['golden', 'x.json', '--backend', 'torch'], { stdout: collectingStream(), stderr })).toBe(2);
    expect(stderr.text()).toContain('--backend has unknown entry "torch"');
  });
});
