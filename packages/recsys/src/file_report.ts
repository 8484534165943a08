import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

import type { FileLoadReport } from './dataset.js';

/** Rows between two progress messages of a long file. */
const PROGRESS_EVERY_ROWS = 1_000_000;

/** Counts of one file's rows while it is read; keeps `rowsRead = rowsKept + sum(skipped)`. */
export class FileReportBuilder {
  rowsRead = 0;
  rowsKept = 0;
  private readonly skipped: Record<string, number> = {};

  constructor(readonly path: string) {}

  keep(count = 1): void {
    this.rowsRead += count;
    this.rowsKept += count;
  }

  skip(reason: string, count = 1): void {
    this.rowsRead += count;
    this.skipped[reason] = (this.skipped[reason] ?? 0) + count;
  }

  /** Turns `count` rows counted as kept into skipped ones, for checks made after reading. */
  reclassify(reason: string, count: number): void {
    if (count === 0) return;
    this.rowsKept -= count;
    this.skipped[reason] = (this.skipped[reason] ?? 0) + count;
  }

  build(): FileLoadReport {
    return { path: this.path, rowsRead: this.rowsRead, rowsKept: this.rowsKept, skipped: { ...this.skipped } };
  }
}

/**
 * Streams the lines of a text file (LF or CRLF endings), reporting progress at the start,
 * every million lines and at the end.
 */
export async function* readLines(
  path: string,
  onProgress: ((message: string) => void) | undefined,
): AsyncGenerator<string> {
  onProgress?.(`Reading ${path}`);
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let count = 0;
  for await (const line of lines) {
    count++;
    if (count % PROGRESS_EVERY_ROWS === 0) onProgress?.(`Read ${count} lines of ${path}`);
    yield line;
  }
  onProgress?.(`Finished ${path}: ${count} lines`);
}

/** Tests whether a field is a non-negative decimal integer without sign, spaces or exponent. */
export function isDigits(field: string): boolean {
  return /^[0-9]+$/.test(field);
}
