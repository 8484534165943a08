import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

import { InvalidArgumentError } from '@mb/core';

/** Options of every loader. */
export interface LoadOptions {
  /** Receives human-readable progress messages (file started, every million lines, finished). */
  readonly onProgress?: (message: string) => void;
}

/**
 * Maps original id strings to dense indices in order of first appearance. Decimal ids of up to
 * 15 digits are keyed by their numeric value, which V8 hashes several times faster than
 * strings, so `'007'` and `'7'` are the same id. Other ids are keyed by their text.
 */
export class IdMap {
  private readonly numeric = new Map<number, number>();
  private readonly text = new Map<string, number>();

  get size(): number {
    return this.numeric.size + this.text.size;
  }

  indexOf(id: string): number {
    const useNumber = id.length <= 15 && /^[0-9]+$/.test(id);
    const index = useNumber ? this.numeric.get(Number(id)) : this.text.get(id);
    if (index !== undefined) return index;

    const next = this.size;
    if (useNumber) this.numeric.set(Number(id), next);
    else this.text.set(id, next);
    return next;
  }
}

/** Dataset name derived from a path: the file or folder name without extension. */
export function datasetName(path: string): string {
  const name = basename(path.replace(/[\\/]+$/, ''));
  return name.slice(0, name.length - extname(name).length) || name;
}

/** Returns `path` if it is a file, or the only `.csv` file in it if it is a folder. */
export async function resolveCsvFile(path: string, format: string): Promise<string> {
  const info = await statOrThrow(path, format);
  if (info.isFile()) return path;
  const csvFiles = (await readdir(path)).filter((name) => name.toLowerCase().endsWith('.csv')).sort();
  if (csvFiles.length !== 1) {
    throw new InvalidArgumentError(
      'loadDataset',
      `format ${format} needs a .csv file or a folder with exactly one, but ${path} holds ${csvFiles.length} (${csvFiles.join(', ') || 'none'}); pass the file path instead.`,
    );
  }
  return join(path, csvFiles[0]);
}

/** Checks that `folder/name` is a file and returns its path. */
export async function requireFile(folder: string, name: string, format: string): Promise<string> {
  const path = join(folder, name);
  const info = await statOrThrow(path, format);
  if (!info.isFile()) {
    throw new InvalidArgumentError('loadDataset', `format ${format} needs the file ${path}, but it is not a regular file.`);
  }
  return path;
}

/** Checks that `path` is a folder. */
export async function requireFolder(path: string, format: string): Promise<void> {
  const info = await statOrThrow(path, format);
  if (!info.isDirectory()) {
    throw new InvalidArgumentError('loadDataset', `format ${format} needs a folder, but ${path} is not one.`);
  }
}

/** Throws when a load kept no users or items, since an empty dataset cannot be trained on. */
export function requireNonEmpty(path: string, format: string, users: number, items: number): void {
  if (users < 1 || items < 1) {
    throw new InvalidArgumentError(
      'loadDataset',
      `no valid rows were found in ${path} for format ${format} (${users} users, ${items} items); check the format and the load report counts.`,
    );
  }
}

async function statOrThrow(path: string, format: string) {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError('loadDataset', `cannot read ${path} for format ${format}: ${code ?? String(error)}.`);
  }
}
