import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { findBackend } from './backends/registry.js';
import type { BackendEntry } from './backends/types.js';
import type { BenchReport } from './results.js';
import { runTrainCommand } from './train_command.js';
import { parseTrainOptions } from './train_options.js';
import { fakeBackend } from './testing/fake_backend.js';
import type { FakeBackendOptions } from './testing/fake_backend.js';
import { UsageError } from './options.js';
import { collectingStream } from './testing/streams.js';

const TINY = ['--synthetic-users', '60', '--synthetic-items', '40', '--synthetic-clicks', '10', '--batch-size', '64', '--factor', '2'];

async function train(args: string[], fakes: Record<string, FakeBackendOptions>, out?: string) {
  out ??= await mkdtemp(join(tmpdir(), 'mb-train-'));
  const config = parseTrainOptions([...TINY, ...args, '--out', out])!;
  const stdout = collectingStream();
  const stderr = collectingStream();
  const lookup = (name: string): BackendEntry => (name in fakes ? fakeBackend(name, fakes[name]) : findBackend(name));
  const status = await runTrainCommand(config, { stdout, stderr }, { findBackend: lookup });
  return { status, out, stdout: stdout.text(), stderr: stderr.text() };
}

async function readReport(out: string): Promise<BenchReport> {
  return JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchReport;
}

describe('train command', () => {
  it('runs every backend, method and seed and writes both files', async () => {
    const { status, out, stdout, stderr } = await train(['--backend', 'tfjs-cpu,onnx-cpu', '--seeds', '1,2', '--epochs', '2'], { 'tfjs-cpu': {}, 'onnx-cpu': {} });
    expect(status).toBe(0);

    const report = await readReport(out);
    expect(report.runs.map((run) => `${run.seed} ${run.method} ${run.backend}`)).toEqual([
      '1 single tfjs-cpu', '1 single onnx-cpu', '1 equal tfjs-cpu', '1 equal onnx-cpu', '1 metabalance tfjs-cpu', '1 metabalance onnx-cpu',
      '2 single tfjs-cpu', '2 single onnx-cpu', '2 equal tfjs-cpu', '2 equal onnx-cpu', '2 metabalance tfjs-cpu', '2 metabalance onnx-cpu',
    ]);
    for (const run of report.runs) {
      expect(run.status).toBe('completed');
      expect(run.epochs).toHaveLength(2);
      expect(run.stepLosses.length).toBe(run.epochs[0].steps + run.epochs[1].steps);
      expect(run.test!.ndcg['10']).toBeGreaterThanOrEqual(0);
    }
    expect(report.summary).toHaveLength(6);
    expect(report.summary[0].seeds).toEqual([1, 2]);
    expect(report.crossChecks.map((check) => check.maxRelativeDifference)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(report.dataset.behaviors[0]).toBe('buy');
    expect(report.sharedTensors[0]).toBe('user_gmf.weight');

    expect(stdout).toContain('Test split, target behaviour "buy"');
    expect(stdout).toContain('Cross-backend check');
    expect(stdout).toContain(join(out, 'report.html'));
    expect(stderr).toContain('[12/12] onnx-cpu metabalance seed 2 epoch 2/2 loss buy');
    expect(stderr).not.toContain('warning');
    expect(stderr).toMatch(/dataset synthetic: 60 users, 40 items; training pairs buy \d+, click \d+, collect \d+, cart \d+;/);

    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('feeds every backend the same batches', async () => {
    const { out } = await train(['--backend', 'tfjs-cpu,onnx-cpu', '--method', 'equal'], { 'tfjs-cpu': {}, 'onnx-cpu': {} });
    const [first, second] = (await readReport(out)).runs;
    // The fake losses are label means, so equal losses mean equal labels in every batch.
    expect(second.stepLosses).toEqual(first.stepLosses);
    expect(first.stepLosses.length).toBeGreaterThan(3);
  });

  it('warns when backends disagree', async () => {
    const { status, out, stderr } = await train(['--backend', 'tfjs-cpu,onnx-cpu', '--method', 'equal'], { 'tfjs-cpu': {}, 'onnx-cpu': { lossFactor: 1.01 } });
    expect(status).toBe(0);
    expect(stderr).toMatch(/warning: losses of tfjs-cpu and onnx-cpu differ by up to 1\.00e-2 \(relative, step \d+\) for equal seed 1, above the tolerance 0\.001\./);
    const check = (await readReport(out)).crossChecks[0];
    expect(check.exceedsTolerance).toBe(true);
    expect(check.firstStepAboveTolerance).toBe(2);
  });

  it('records a failed run, finishes the others and exits with 1', async () => {
    const { status, out, stderr } = await train(['--backend', 'tfjs-cpu,onnx-cpu', '--method', 'equal'], { 'tfjs-cpu': { failAtStep: 3 }, 'onnx-cpu': {} });
    expect(status).toBe(1);
    const report = await readReport(out);
    expect(report.runs[0].status).toBe('failed');
    expect(report.runs[0].error).toBe('fake failure at step 3');
    expect(report.runs[0].stepLosses).toHaveLength(2);
    expect(report.runs[1].status).toBe('completed');
    expect(stderr).toContain('error: tfjs-cpu equal seed 1 failed: fake failure at step 3');
  });

  it('stops before training when a backend is unavailable', async () => {
    const { status, out, stderr } = await train(['--backend', 'tfjs-cpu,onnx-cpu'], { 'tfjs-cpu': {}, 'onnx-cpu': { unavailable: true } });
    expect(status).toBe(1);
    expect(stderr).toContain('error: Backend onnx-cpu is not available: the fake library is missing.');
    expect(stderr).toContain('No training run was started. Remove onnx-cpu from --backend to run the other backends.');
    expect(stderr).not.toContain('[1/');
    await expect(readFile(join(out, 'results.json'), 'utf8')).rejects.toThrow('ENOENT');
  });

  it('rejects an unusable --out before loading data or training', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'mb-train-'));
    const file = join(folder, 'taken');
    await writeFile(file, 'x');
    const stderr = collectingStream();
    const config = parseTrainOptions([...TINY, '--backend', 'tfjs-cpu', '--out', file])!;
    const lookup = (name: string): BackendEntry => fakeBackend(name, {});
    const running = runTrainCommand(config, { stdout: collectingStream(), stderr }, { findBackend: lookup });
    await expect(running).rejects.toThrow(UsageError);
    await expect(running).rejects.toThrow(`--out ${file} cannot be used as the output folder: a file with that name exists.`);
    expect(stderr.text()).toBe('');
  });

  it('prints the tables when the files cannot be written', async () => {
    const out = await mkdtemp(join(tmpdir(), 'mb-train-'));
    // A folder named results.json makes writing that file fail after training.
    await mkdir(join(out, 'results.json'));
    const { status, stdout, stderr } = await train(['--backend', 'tfjs-cpu', '--method', 'equal'], { 'tfjs-cpu': {} }, out);
    expect(status).toBe(1);
    expect(stdout).toContain('Test split, target behaviour "buy"');
    expect(stdout).toContain('Results: not written');
    expect(stdout).toContain(`Report:  ${join(out, 'report.html')}`);
    expect(stderr).toContain(`error: could not write ${join(out, 'results.json')}: EISDIR`);
    expect((await readFile(join(out, 'report.html'), 'utf8')).startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('removes the output folder it created when a backend is unavailable', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'mb-train-'));
    const out = join(parent, 'new', 'run');
    const { status } = await train(['--backend', 'tfjs-cpu'], { 'tfjs-cpu': { unavailable: true } }, out);
    expect(status).toBe(1);
    await expect(stat(join(parent, 'new'))).rejects.toThrow('ENOENT');
  });
});
