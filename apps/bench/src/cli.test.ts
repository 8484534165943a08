import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { main } from './cli.js';
import { collectingStream } from './testing/streams.js';

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = collectingStream();
  const stderr = collectingStream();
  const status = await main(args, { stdout, stderr }, env);
  return { status, stdout: stdout.text(), stderr: stderr.text() };
}

const HINT = 'Run "mb-bench train --help" for the options.';

describe('cli', () => {
  it('prints the command list for --help', async () => {
    const { status, stdout } = await run(['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('Usage: mb-bench [command] [options]');
    expect(stdout).toContain('golden');
  });

  it.each([
    [['train', '--help'], 'Usage: mb-bench [train] [options]'],
    [['--epochs', '2', '--help'], 'Usage: mb-bench [train] [options]'],
    [['golden', '--help'], 'Usage: mb-bench golden FILE'],
    [['help', 'golden'], 'Usage: mb-bench golden FILE'],
  ])('prints command help for %j', async (args, usage) => {
    const { status, stdout } = await run(args);
    expect(status).toBe(0);
    expect(stdout.startsWith(usage)).toBe(true);
  });

  it.each([
    [['--epochs', 'x'], 'error: --epochs must be a positive integer, got "x".'],
    [['bench'], 'error: unknown command "bench"; valid commands are train, golden, help.'],
    [['help', 'bench'], 'error: help: unknown command "bench"'],
    [['golden', 'x.json', '--tolerance=-1'], 'error: --tolerance must be >= 0, got "-1".'],
    [['golden', 'x.json', '--tolerance', '-1'], 'error: the value "-1" of --tolerance starts with a dash, so it could be an option. Write --tolerance=-1'],
    [['golden', 'x.json', '--backend', 'foo'], 'valid values are reference, tfjs-cpu,'],
  ])('exits with 2 for %j', async (args, message) => {
    const { status, stderr } = await run(args);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
  });

  it.each([
    [['--format'], `error: option --format needs a value, as in --format NAME. ${HINT}\n`],
    [['--bogus'], `error: unknown option --bogus. ${HINT}\n`],
    [['--bogus=1'], `error: unknown option --bogus. ${HINT}\n`],
    [['--help=1'], `error: option --help does not take a value. ${HINT}\n`],
    [['--backend', 'foo'], 'error: --backend has unknown entry "foo"; valid values are tfjs-cpu, tfjs-wasm, tfjs-node, tfjs-node-gpu, onnx-cpu, onnx-cuda.\n'],
  ])('prints one sentence and the hint for %j', async (args, message) => {
    const { status, stderr } = await run(args);
    expect(status).toBe(2);
    expect(stderr).toBe(message);
  });

  it('rejects an --out that is a file before training', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'mb-cli-'));
    const file = join(folder, 'taken');
    await writeFile(file, 'x');
    for (const out of [file, join(file, 'below')]) {
      const { status, stderr } = await run(['--out', out]);
      expect(status).toBe(2);
      expect(stderr.startsWith(`error: --out ${out} cannot be used as the output folder: `)).toBe(true);
      expect(stderr.endsWith('. Choose another folder.\n')).toBe(true);
      expect(stderr.split('\n')).toHaveLength(2);
      expect(stderr).not.toContain('generating');
    }
  });

  it('prints one line for a missing dataset', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'mb-cli-'));
    const out = join(folder, 'out', 'run');
    const args = ['--data', join(folder, 'absent'), '--format', 'mbgcn-pairs', '--out', out];
    const { status, stderr } = await run(args);
    expect(status).toBe(1);
    const lines = stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^error: Error in loadDataset: cannot read .*absent for format mbgcn-pairs: ENOENT\.$/);
    expect(stderr).not.toMatch(/^\s+at /m);
    // The output folder made for this run is removed again, since nothing was written.
    await expect(stat(join(folder, 'out'))).rejects.toThrow('ENOENT');
  });

  it('adds the stack trace when MB_BENCH_DEBUG=1', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'mb-cli-'));
    const args = ['--data', join(folder, 'absent'), '--format', 'mbgcn-pairs', '--out', join(folder, 'out')];
    const { status, stderr } = await run(args, { MB_BENCH_DEBUG: '1' });
    expect(status).toBe(1);
    expect(stderr).toMatch(/^\s+at /m);
  });
});
