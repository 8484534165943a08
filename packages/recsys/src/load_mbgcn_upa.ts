import { InvalidArgumentError } from '@mb/core';

import { access } from 'node:fs/promises';
import { join } from 'node:path';

import type { MultiBehaviorDataset } from './dataset.js';
import { SKIP_REASONS } from './dataset.js';
import { EventLog, splitEvents, toSortedSet } from './event_split.js';
import { FileReportBuilder, isDigits, readLines } from './file_report.js';
import { datasetName, requireFile, requireFolder, requireNonEmpty, type LoadOptions } from './load_common.js';

/** Behaviors of the MBGCN-UPA format, the target first, and the file prefix of each. */
export const MBGCN_UPA_FILES: readonly { behavior: string; prefix: string }[] = [
  { behavior: 'buy', prefix: 'buy' },
  { behavior: 'click', prefix: 'pv' },
  { behavior: 'collect', prefix: 'fav' },
  { behavior: 'cart', prefix: 'cart' },
];

/** Largest id the format accepts, so that every index fits an Int32Array. */
const MAX_ID = 2 ** 31 - 1;

/**
 * Loads a folder in the MBGCN-UPA format: for each behavior prefix (buy, pv, fav, cart) a
 * `<prefix>_train.txt` with lines `user item_1 item_2 ...` in the order of first interaction,
 * and a `<prefix>_test.txt` with lines `user item`, the user's last item of that behavior.
 *
 * - Test: `buy_test.txt`, minus pairs that are also training purchases.
 * - Validation: the last item of each user's `buy_train.txt` line, which is the most recent
 *   training purchase, for users with at least two distinct training purchases. The rest of
 *   the line is train.
 * - Auxiliary train sets: `<prefix>_train.txt` plus `<prefix>_test.txt` for pv, fav and cart,
 *   since only purchases are evaluated and the held-out auxiliary items are observed behavior.
 *
 * Ids are already 0-based indices and are kept. The user and item counts are the number of ids
 * in `user_index.csv` and `item_index.csv` (header `original_id,new_id`, the largest `new_id`
 * plus one), and larger ids are skipped as out of range. Without an index file the count is
 * the largest id seen plus one.
 * In the report a row is one (user, item) entry of a line, and a line with no entry counts as
 * one row, so `rowsRead` of a train file equals its number of pairs.
 */
export async function loadMbgcnUpa(path: string, options: LoadOptions = {}): Promise<MultiBehaviorDataset> {
  await requireFolder(path, 'mbgcn-upa');
  const sources: { file: string; behavior: number; test: boolean }[] = [];
  for (const [behavior, { prefix }] of MBGCN_UPA_FILES.entries()) {
    sources.push({ file: await requireFile(path, `${prefix}_train.txt`, 'mbgcn-upa'), behavior, test: false });
  }
  for (const [behavior, { prefix }] of MBGCN_UPA_FILES.entries()) {
    if (behavior === 0) continue;
    sources.push({ file: await requireFile(path, `${prefix}_test.txt`, 'mbgcn-upa'), behavior, test: true });
  }
  const targetTestFile = await requireFile(path, 'buy_test.txt', 'mbgcn-upa');
  const userCount = await readIndexCount(join(path, 'user_index.csv'), options);
  const itemCount = await readIndexCount(join(path, 'item_index.csv'), options);
  const limits = { users: userCount ?? MAX_ID + 1, items: itemCount ?? MAX_ID + 1 };

  // Events are timed by reading order, which is chronological within a train line.
  const log = new EventLog();
  const reports: FileReportBuilder[] = [];
  let maxUser = -1;
  let maxItem = -1;
  for (const [source, { file, behavior, test }] of sources.entries()) {
    const report = new FileReportBuilder(file);
    reports.push(report);
    for await (const line of readLines(file, options.onProgress)) {
      for (const [user, item] of parseSequenceLine(line, test, limits, report)) {
        log.push(user, item, behavior, log.length, source);
        maxUser = Math.max(maxUser, user);
        maxItem = Math.max(maxItem, item);
      }
    }
  }

  const testReport = new FileReportBuilder(targetTestFile);
  const testPairs: [number, number][] = [];
  for await (const line of readLines(targetTestFile, options.onProgress)) {
    for (const pair of parseSequenceLine(line, true, limits, testReport)) {
      testPairs.push(pair);
      maxUser = Math.max(maxUser, pair[0]);
      maxItem = Math.max(maxItem, pair[1]);
    }
  }
  // NOTE: without index files a single huge id sizes every per-user array, which can exhaust
  // memory; the index files bound the ids.
  const users = userCount ?? maxUser + 1;
  const items = itemCount ?? maxItem + 1;
  requireNonEmpty(path, 'mbgcn-upa', users, items);
  if (users * items > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError('loadDataset', `${path} has ids up to ${maxUser} (users) and ${maxItem} (items), too many pairs to index.`);
  }

  const split = splitEvents(log, {
    users,
    behaviors: MBGCN_UPA_FILES.length,
    target: 0,
    heldOut: ['validation'],
    sources: sources.length,
  });
  split.duplicatesBySource.forEach((count, source) => reports[source].reclassify(SKIP_REASONS.duplicate, count));

  // Training purchases before the validation split, to keep test pairs out of both.
  const purchases = new Set<number>();
  for (const set of [split.train[0], split.validation]) {
    for (let n = 0; n < set.users.length; n++) purchases.add(set.users[n] * items + set.items[n]);
  }
  const seen = new Set<number>();
  const testUsers: number[] = [];
  const testItems: number[] = [];
  for (const [user, item] of testPairs) {
    const key = user * items + item;
    if (seen.has(key)) {
      testReport.reclassify(SKIP_REASONS.duplicate, 1);
    } else if (purchases.has(key)) {
      testReport.reclassify(SKIP_REASONS.heldOutInTraining, 1);
    } else {
      seen.add(key);
      testUsers.push(user);
      testItems.push(item);
    }
  }
  reports.push(testReport);

  return {
    name: datasetName(path),
    users,
    items,
    behaviors: MBGCN_UPA_FILES.map(({ behavior }) => behavior),
    train: split.train,
    validation: split.validation,
    test: toSortedSet(testUsers, testItems),
    loadReport: { files: reports.map((report) => report.build()) },
  };
}

/**
 * Returns the (user, item) entries of one line, counting each entry as read, and kept or
 * skipped, in `report`. A test line must hold exactly one item.
 */
function parseSequenceLine(
  line: string,
  test: boolean,
  limits: { readonly users: number; readonly items: number },
  report: FileReportBuilder,
): [number, number][] {
  const fields = line.trim().split(/\s+/);
  if (fields.length === 1 && fields[0] === '') {
    report.skip(SKIP_REASONS.blankLine);
    return [];
  }
  if (fields.length < 2 || (test && fields.length !== 2)) {
    report.skip(SKIP_REASONS.badColumnCount, Math.max(1, fields.length - 1));
    return [];
  }
  const entries = fields.length - 1;
  if (!isDigits(fields[0])) {
    report.skip(SKIP_REASONS.nonNumericId, entries);
    return [];
  }
  const user = Number(fields[0]);
  if (user >= limits.users) {
    report.skip(SKIP_REASONS.idOutOfRange, entries);
    return [];
  }
  const pairs: [number, number][] = [];
  for (let n = 1; n < fields.length; n++) {
    if (!isDigits(fields[n])) {
      report.skip(SKIP_REASONS.nonNumericId);
      continue;
    }
    const item = Number(fields[n]);
    if (item >= limits.items) {
      report.skip(SKIP_REASONS.idOutOfRange);
      continue;
    }
    pairs.push([user, item]);
    report.keep();
  }
  return pairs;
}

/**
 * Returns the largest `new_id` plus one of an index file with lines `original_id,new_id`, or
 * null when the file does not exist. Lines without a numeric `new_id`, such as the header,
 * are ignored.
 */
async function readIndexCount(file: string, options: LoadOptions): Promise<number | null> {
  try {
    await access(file);
  } catch {
    return null;
  }
  let count = 0;
  for await (const line of readLines(file, options.onProgress)) {
    const fields = line.split(',');
    if (fields.length === 2 && isDigits(fields[1].trim())) {
      count = Math.max(count, Math.min(Number(fields[1]) + 1, MAX_ID + 1));
    }
  }
  return count;
}
