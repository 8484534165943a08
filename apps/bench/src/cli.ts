#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { InvalidArgumentError } from '@mb/core';

import { BackendUnavailableError } from './backends/types.js';
import { goldenHelp, parseGoldenOptions, runGoldenCommand } from './golden_command.js';
import { UsageError } from './options.js';
import { runTrainCommand } from './train_command.js';
import type { CommandStreams } from './train_command.js';
import { parseTrainOptions, trainHelp } from './train_options.js';

const COMMANDS = ['train', 'golden', 'help'] as const;

/** Top-level help, listing the commands. */
export function mainHelp(): string {
  return [
    'Usage: mb-bench [command] [options]',
    '',
    'Commands:',
    '  train    train NeuMF with each backend, method and seed and report ranking metrics (default)',
    '  golden   check a backend against a golden file of reference values',
    '  help     print help for a command: mb-bench help train',
    '',
    'Run "mb-bench COMMAND --help" for the options of a command.',
  ].join('\n');
}

/** File-system error codes that mean a path given by the user cannot be read, not a bug. */
const EXPECTED_FILE_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM']);

/**
 * Runs the command line and returns the exit status: 0 on success, 1 when a run, a check or a
 * backend failed or the data could not be loaded, 2 for a usage error. Expected errors print one
 * line `error: MESSAGE`, followed by the stack trace when `MB_BENCH_DEBUG=1` is set. Any other
 * error is rethrown, so that its stack trace is printed.
 */
export async function main(args: readonly string[], streams: CommandStreams, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const first = args[0];
    if (first === '--help' || first === '-h') {
      streams.stdout.write(`${mainHelp()}\n`);
      return 0;
    }
    if (first === 'help') {
      const topic = args[1];
      const help = topic === 'train' ? trainHelp() : topic === 'golden' ? goldenHelp() : topic === undefined ? mainHelp() : null;
      if (help === null) throw new UsageError(`help: unknown command ${JSON.stringify(topic)}; valid commands are ${COMMANDS.join(', ')}.`);
      streams.stdout.write(`${help}\n`);
      return 0;
    }
    if (first === 'golden') {
      const config = parseGoldenOptions(args.slice(1));
      if (config === null) {
        streams.stdout.write(`${goldenHelp()}\n`);
        return 0;
      }
      return await runGoldenCommand(config, streams);
    }

    // `train` is the default command, so options may follow the program name directly.
    if (first !== undefined && first !== 'train' && !first.startsWith('-')) {
      throw new UsageError(`unknown command ${JSON.stringify(first)}; valid commands are ${COMMANDS.join(', ')}.`);
    }
    const config = parseTrainOptions(first === 'train' ? args.slice(1) : args);
    if (config === null) {
      streams.stdout.write(`${trainHelp()}\n`);
      return 0;
    }
    return await runTrainCommand(config, streams);
  } catch (error) {
    if (error instanceof UsageError) {
      streams.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof BackendUnavailableError || isExpectedError(error)) {
      streams.stderr.write(`error: ${error.message}\n`);
      if (env.MB_BENCH_DEBUG === '1' && error.stack !== undefined) streams.stderr.write(`${error.stack}\n`);
      return 1;
    }
    throw error;
  }
}

/** Invalid input that a loader rejected, or a file that is missing or cannot be read. */
function isExpectedError(error: unknown): error is Error {
  if (error instanceof InvalidArgumentError) return true;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return error instanceof Error && typeof code === 'string' && EXPECTED_FILE_ERRORS.has(code);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      // Expected errors were handled in main, so this one is a bug and its stack trace is printed.
      process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
