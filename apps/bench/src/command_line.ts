import { parseArgs } from 'node:util';

import { UsageError } from './options.js';

/** One option of a command, as `--help` lists it. All options except `--help` take a value. */
export interface OptionSpec {
  readonly name: string;
  /** Placeholder for the value in `--help`, for example `N` or `PATH`. */
  readonly value: string;
  /** Description of the setting the option changes, with its unit. */
  readonly description: string;
  /** Default as shown in `--help`; omitted for options without one. */
  readonly defaultText?: string;
}

/** Values given on the command line, by option name, and the positional arguments. */
export interface ParsedCommandLine {
  readonly values: Readonly<Record<string, string | undefined>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/**
 * Parses arguments with `util.parseArgs` in strict mode, so unknown options and missing values
 * are usage errors that name the option.
 */
export function parseCommandLine(
  command: string,
  args: readonly string[],
  specs: readonly OptionSpec[],
  maxPositionals: number,
): ParsedCommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const spec of specs) options[spec.name] = { type: 'string' };

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(`${describeParseError(error, args, specs)} Run "mb-bench ${command} --help" for the options.`);
  }

  const help = parsed.values.help === true;
  if (!help && parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).map((text) => JSON.stringify(text)).join(', ');
    throw new UsageError(`${command} got unexpected arguments ${extra}. Run "mb-bench ${command} --help" for the options.`);
  }

  const values: Record<string, string | undefined> = {};
  for (const spec of specs) {
    const value = parsed.values[spec.name];
    values[spec.name] = typeof value === 'string' ? value : undefined;
  }
  return { values, positionals: parsed.positionals, help };
}

/**
 * Rewrites a `util.parseArgs` error as one sentence ending with a period. Node's own messages
 * (Node 20) lack the final period, run over several lines or leave a quote unclosed.
 */
function describeParseError(error: unknown, args: readonly string[], specs: readonly OptionSpec[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  // Node quotes the option first, as '--name', '--name <value>' or '-h, --help'.
  const quoted = /'([^']*)'/.exec(message)?.[1];
  const option = quoted?.split(', ').at(-1)?.split(' ')[0];
  if (option !== undefined && option.startsWith('-')) {
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      return `unknown option ${option}.`;
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && message.includes('argument missing')) {
      const placeholder = specs.find((spec) => `--${spec.name}` === option)?.value ?? 'VALUE';
      return `option ${option} needs a value, as in ${option} ${placeholder}.`;
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && message.includes('ambiguous')) {
      const index = args.indexOf(option);
      const value = index >= 0 && index + 1 < args.length ? args[index + 1] : '-VALUE';
      return `the value ${JSON.stringify(value)} of ${option} starts with a dash, so it could be an option. Write ${option}=${value} to pass it as the value.`;
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && message.includes('does not take an argument')) {
      return `option ${option} does not take a value.`;
    }
  }
  const sentence = message.replace(/\s*\n\s*/g, ' ').trim();
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** Formats the option list of a command's `--help`, wrapping descriptions at about 100 columns. */
export function formatOptionHelp(specs: readonly OptionSpec[]): string {
  const rows = [...specs, { name: 'help', value: '', description: 'print this help and exit' }].map((spec) => {
    const flag = spec.value === '' ? `--${spec.name}` : `--${spec.name} ${spec.value}`;
    const defaultText = 'defaultText' in spec && spec.defaultText !== undefined ? ` (default: ${spec.defaultText})` : '';
    return { term: flag, text: `${spec.description}${defaultText}` };
  });
  return formatDefinitions(rows);
}

/** Lays out terms and their descriptions in two columns, wrapping descriptions at about 100 columns. */
export function formatDefinitions(rows: readonly { term: string; text: string }[]): string {
  const width = Math.max(...rows.map((row) => row.term.length)) + 2;
  const lines: string[] = [];
  for (const row of rows) {
    const wrapped = wrapWords(row.text, Math.max(40, 100 - width - 2));
    lines.push(`  ${row.term.padEnd(width)}${wrapped[0]}`);
    for (const rest of wrapped.slice(1)) lines.push(`  ${' '.repeat(width)}${rest}`);
  }
  return lines.join('\n');
}

function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}
