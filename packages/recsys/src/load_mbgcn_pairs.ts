import { readFile } from 'node:fs/promises';

import { InvalidArgumentError } from '@mb/core';

import type { InteractionSet, MultiBehaviorDataset } from './dataset.js';
import { SKIP_REASONS } from './dataset.js';
import { toSortedSet } from './event_split.js';
import { FileReportBuilder, isDigits, readLines } from './file_report.js';
import { datasetName, requireFile, requireFolder, type LoadOptions } from './load_common.js';

/** Behaviors of the MBGCN pair format, the target first, and the file of each. */
export const MBGCN_PAIR_FILES: readonly { behavior: string; file: string }[] = [
  { behavior: 'buy', file: 'train.txt' },
  { behavior: 'click', file: 'click.txt' },
  { behavior: 'collect', file: 'collect.txt' },
  { behavior: 'cart', file: 'cart.txt' },
];

/**
 * Loads a folder in the MBGCN pair format.
 *
 * `data_size.txt` contains `users items`. Every other file has one space-separated `user item`
 * pair per line, with 0-based ids below those counts: `train.txt` the training purchases
 * (`buy.txt` is the same file and is not read), `click.txt`, `collect.txt` and `cart.txt` the
 * auxiliary behaviors, `validation.txt` and `test.txt` the held-out purchases, which may list
 * several items per user. Ids are used as given, so that indices match other tools that read
 * the same files; ids that never occur only add unused embedding rows. Held-out pairs that are
 * also training purchases are skipped.
 */
export async function loadMbgcnPairs(path: string, options: LoadOptions = {}): Promise<MultiBehaviorDataset> {
  await requireFolder(path, 'mbgcn-pairs');
  const sizeFile = await requireFile(path, 'data_size.txt', 'mbgcn-pairs');
  const { users, items } = await readDataSize(sizeFile);

  const reports: FileReportBuilder[] = [];
  const train: InteractionSet[] = [];
  let trainPurchases = new Set<number>();
  for (const [b, { file }] of MBGCN_PAIR_FILES.entries()) {
    const pairs = await readPairFile(await requireFile(path, file, 'mbgcn-pairs'), users, items, null, options);
    reports.push(pairs.report);
    train.push(pairs.set);
    if (b === 0) trainPurchases = pairs.keys;
  }
  const validation = await readPairFile(await requireFile(path, 'validation.txt', 'mbgcn-pairs'), users, items, trainPurchases, options);
  const test = await readPairFile(await requireFile(path, 'test.txt', 'mbgcn-pairs'), users, items, trainPurchases, options);
  reports.push(validation.report, test.report);

  return {
    name: datasetName(path),
    users,
    items,
    behaviors: MBGCN_PAIR_FILES.map(({ behavior }) => behavior),
    train,
    validation: validation.set,
    test: test.set,
    loadReport: { files: reports.map((report) => report.build()) },
  };
}

async function readDataSize(file: string): Promise<{ users: number; items: number }> {
  const fields = (await readFile(file, 'utf8')).trim().split(/\s+/);
  const [users, items] = fields.map(Number);
  if (fields.length !== 2 || !fields.every(isDigits) || users < 1 || items < 1) {
    throw new InvalidArgumentError(
      'loadDataset',
      `${file} must contain two positive integers "users items", got ${JSON.stringify(fields.join(' '))}.`,
    );
  }
  if (users * items > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError('loadDataset', `${file} gives ${users} users x ${items} items, too many pairs to index.`);
  }
  return { users, items };
}

interface PairFile {
  readonly set: InteractionSet;
  /** `user * items + item` of every kept pair. */
  readonly keys: Set<number>;
  readonly report: FileReportBuilder;
}

/**
 * Reads one pair file, skipping malformed, out-of-range and repeated pairs, and pairs in
 * `excluded` when it is given.
 */
export async function readPairFile(
  file: string,
  users: number,
  items: number,
  excluded: ReadonlySet<number> | null,
  options: LoadOptions,
): Promise<PairFile> {
  const report = new FileReportBuilder(file);
  const keys = new Set<number>();
  const pairUsers: number[] = [];
  const pairItems: number[] = [];
  for await (const line of readLines(file, options.onProgress)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') {
      report.skip(SKIP_REASONS.blankLine);
      continue;
    }
    if (fields.length !== 2) {
      report.skip(SKIP_REASONS.badColumnCount);
      continue;
    }
    if (!isDigits(fields[0]) || !isDigits(fields[1])) {
      report.skip(SKIP_REASONS.nonNumericId);
      continue;
    }
    const user = Number(fields[0]);
    const item = Number(fields[1]);
    if (user >= users || item >= items) {
      report.skip(SKIP_REASONS.idOutOfRange);
      continue;
    }
    const key = user * items + item;
    if (keys.has(key)) {
      report.skip(SKIP_REASONS.duplicate);
      continue;
    }
    if (excluded?.has(key)) {
      report.skip(SKIP_REASONS.heldOutInTraining);
      continue;
    }
    keys.add(key);
    pairUsers.push(user);
    pairItems.push(item);
    report.keep();
  }
  return { set: toSortedSet(pairUsers, pairItems), keys, report };
}
