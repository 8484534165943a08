import { describe, expect, it } from 'vitest';

import { main } from './cli.js';
import { collectingStream } from './testing/streams.js';

async function run(args: string[]) {
  const stdout = collectingStream();
  const stderr = collectingStream();
  const status = await main(args, { stdout, stderr });
  return { status, stdout: stdout.text(), stderr: stderr.text() };
}

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
    [['golden', 'x.json', '--tolerance', '-1'], "argument is ambiguous"],
  ])('exits with 2 for %j', async (args, message) => {
    const { status, stderr } = await run(args);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
  });
});
