import { readFile } from 'node:fs/promises';

import { BACKENDS, findBackend } from './backends/registry.js';
import { formatOptionHelp, parseCommandLine } from './command_line.js';
import type { OptionSpec } from './command_line.js';
import { RELATIVE_ERROR_FLOOR, runGoldenFile, validateGoldenFile } from './golden.js';
import type { GoldenCaseResult } from './golden.js';
import { UsageError, parseNumber, resolveUserPath } from './options.js';
import type { CommandStreams } from './train_command.js';

/** Parsed options of `golden`. */
export interface GoldenConfig {
  /** Golden file, absolute. */
  readonly file: string;
  readonly backend: string;
  readonly tolerance: number;
}

export const GOLDEN_DEFAULT_TOLERANCE = 1e-4;

export const GOLDEN_OPTIONS: readonly OptionSpec[] = [
  { name: 'backend', value: 'NAME', description: `backend to check: ${BACKENDS.map((b) => b.name).join(', ')}`, defaultText: 'reference' },
  { name: 'tolerance', value: 'X', description: 'largest accepted relative error', defaultText: String(GOLDEN_DEFAULT_TOLERANCE) },
];

/** Help text of `golden`. */
export function goldenHelp(): string {
  return [
    'Usage: mb-bench golden FILE [--backend NAME] [--tolerance X]',
    '',
    'Runs the cases of a golden file (float64 PyTorch reference values) through one backend.',
    'Transform cases run MetaBalance update by update on the backend\'s tensor operations and',
    'compare combined gradients and moving-average norms; the NeuMF training case runs the',
    "backend's trainer and compares losses and parameters after each step. The `reference`",
    'backend runs transform cases only. The relative error of a value is',
    `|actual - expected| / max(|expected|, ${RELATIVE_ERROR_FLOOR}). The last line of output is JSON:`,
    '{"backend": ..., "cases": [names run], "maxRelativeError": ...}. The exit status is 1 when the',
    'error exceeds the tolerance, a value is not finite or no case ran.',
    '',
    'Options:',
    formatOptionHelp(GOLDEN_OPTIONS),
  ].join('\n');
}

/** Parses `golden`'s arguments; returns `null` when `--help` was given. */
export function parseGoldenOptions(args: readonly string[]): GoldenConfig | null {
  const { values, positionals, help } = parseCommandLine('golden', args, GOLDEN_OPTIONS, 1);
  if (help) return null;
  if (positionals.length === 0) throw new UsageError('golden needs the path of a golden file: mb-bench golden FILE --backend NAME.');
  const backend = values.backend ?? 'reference';
  findBackend(backend);
  const tolerance = values.tolerance === undefined ? GOLDEN_DEFAULT_TOLERANCE : parseNumber('tolerance', values.tolerance, { min: 0 });
  return { file: resolveUserPath(positionals[0]), backend, tolerance };
}

/** Runs `golden` and returns the exit status. */
export async function runGoldenCommand(config: GoldenConfig, streams: CommandStreams): Promise<number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(config.file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    streams.stderr.write(`error: could not read the golden file ${config.file}: ${reason}\n`);
    return 1;
  }
  try {
    validateGoldenFile(parsed);
  } catch (error) {
    streams.stderr.write(`error: invalid golden file ${config.file}: ${(error as Error).message}\n`);
    return 1;
  }

  let results: GoldenCaseResult[];
  try {
    const backend = await findBackend(config.backend).load({});
    results = await runGoldenFile(parsed, backend);
  } catch (error) {
    // The JSON line still comes last, so that scripts reading it see the failure.
    const reason = error instanceof Error ? error.message : String(error);
    streams.stderr.write(`error: backend ${config.backend} failed: ${reason}\n`);
    streams.stdout.write(`${JSON.stringify({ backend: config.backend, cases: [], maxRelativeError: null, error: reason })}\n`);
    return 1;
  }

  let maxRelativeError = 0;
  for (const result of results) {
    if (!result.ran) {
      streams.stdout.write(`${result.name} (${result.kind}): not run, ${result.reason}\n`);
      continue;
    }
    const status = result.maxRelativeError <= config.tolerance ? 'ok' : 'FAILED';
    streams.stdout.write(
      `${result.name} (${result.kind}): ${status}, max relative error ${result.maxRelativeError.toExponential(2)} ` +
        `over ${result.compared.join(', ')}${result.worstAt === '' ? '' : `; largest at ${result.worstAt}`}\n`,
    );
    if (Number.isNaN(result.maxRelativeError) || Number.isNaN(maxRelativeError)) maxRelativeError = Number.NaN;
    else maxRelativeError = Math.max(maxRelativeError, result.maxRelativeError);
  }

  const ran = results.filter((result) => result.ran);
  const summary = {
    backend: config.backend,
    cases: ran.map((result) => result.name),
    maxRelativeError: ran.length === 0 || Number.isNaN(maxRelativeError) ? null : maxRelativeError,
  };
  streams.stdout.write(`${JSON.stringify(summary)}\n`);
  if (ran.length === 0) {
    streams.stderr.write(`error: no case of ${config.file} ran on backend ${config.backend}.\n`);
    return 1;
  }
  return summary.maxRelativeError !== null && summary.maxRelativeError <= config.tolerance ? 0 : 1;
}
