import { InvalidArgumentError } from '@mb/core';

import type { MultiBehaviorDataset } from './dataset.js';
import { SKIP_REASONS } from './dataset.js';
import { EventLog } from './event_split.js';
import { FileReportBuilder, isDigits, readLines } from './file_report.js';
import { IdMap, requireNonEmpty, resolveCsvFile, type LoadOptions } from './load_common.js';
import { datasetFromRawLog } from './load_taobao_raw.js';

/** IJCAI-15 `action_type` codes to indices in `RAW_LOG_BEHAVIORS`. */
const IJCAI_ACTION_TYPES: readonly number[] = [
  1, // 0: click
  3, // 1: add to cart
  0, // 2: purchase
  2, // 3: add to favourite (collect)
];

/**
 * Date window of the IJCAI-15 log as `mmdd` numbers, inclusive: the six months before and
 * including Double 11 (May 11 to November 11), as the dataset's description gives it.
 */
export const IJCAI15_DATE_WINDOW = { first: 511, last: 1111 } as const;

const REQUIRED_COLUMNS = ['user_id', 'item_id', 'time_stamp', 'action_type'] as const;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Loads an IJCAI-15 `user_log_format1.csv` log (or the one `.csv` file in a folder).
 *
 * Columns are found by header name: `user_id`, `item_id`, `time_stamp` and `action_type`.
 * Other columns, such as the leading unnamed index of a file re-saved by pandas, are ignored. `time_stamp` is a month-day `mmdd`, with or without the leading zero. Its resolution is
 * one day, so purchases on the same day are ordered by row when the split picks the last one.
 * The header line is not counted in `rowsRead`.
 */
export async function loadIjcai15(path: string, options: LoadOptions = {}): Promise<MultiBehaviorDataset> {
  const file = await resolveCsvFile(path, 'ijcai15');
  const report = new FileReportBuilder(file);
  const userIds = new IdMap();
  const itemIds = new IdMap();
  const log = new EventLog();
  let columns: ColumnIndices | null = null;

  for await (const line of readLines(file, options.onProgress)) {
    if (columns === null) {
      columns = parseHeader(file, line);
      continue;
    }
    if (line.trim() === '') {
      report.skip(SKIP_REASONS.blankLine);
      continue;
    }
    const fields = line.split(',');
    if (fields.length !== columns.count) {
      report.skip(SKIP_REASONS.badColumnCount);
      continue;
    }
    const user = fields[columns.user];
    const item = fields[columns.item];
    if (!isDigits(user) || !isDigits(item)) {
      report.skip(SKIP_REASONS.nonNumericId);
      continue;
    }
    const action = fields[columns.action];
    const behavior = /^[0-3]$/.test(action) ? IJCAI_ACTION_TYPES[Number(action)] : undefined;
    if (behavior === undefined) {
      report.skip(SKIP_REASONS.unknownBehavior);
      continue;
    }
    const date = parseMonthDay(fields[columns.time]);
    if (date === null) {
      report.skip(SKIP_REASONS.invalidTime);
      continue;
    }
    if (date < IJCAI15_DATE_WINDOW.first || date > IJCAI15_DATE_WINDOW.last) {
      report.skip(SKIP_REASONS.timeOutOfRange);
      continue;
    }
    log.push(userIds.indexOf(user), itemIds.indexOf(item), behavior, date, 0);
    report.keep();
  }
  if (columns === null) {
    throw new InvalidArgumentError('loadDataset', `${file} is empty; format ijcai15 needs a header line.`);
  }

  requireNonEmpty(file, 'ijcai15', userIds.size, itemIds.size);
  return datasetFromRawLog(path, log, userIds.size, itemIds.size, report);
}

interface ColumnIndices {
  readonly count: number;
  readonly user: number;
  readonly item: number;
  readonly time: number;
  readonly action: number;
}

function parseHeader(file: string, line: string): ColumnIndices {
  const names = line.replace(/^\uFEFF/, '').split(',').map((name) => name.trim().replace(/^"(.*)"$/, '$1'));
  const indexOf = (column: (typeof REQUIRED_COLUMNS)[number]): number => {
    const index = names.indexOf(column);
    if (index < 0) {
      throw new InvalidArgumentError(
        'loadDataset',
        `the header of ${file} has no ${column} column (found: ${names.join(', ')}); format ijcai15 needs ${REQUIRED_COLUMNS.join(', ')}.`,
      );
    }
    return index;
  };
  return {
    count: names.length,
    user: indexOf('user_id'),
    item: indexOf('item_id'),
    time: indexOf('time_stamp'),
    action: indexOf('action_type'),
  };
}

/** Parses `mmdd` or `mdd` into the number `mm * 100 + dd`, or null if it is no valid date. */
export function parseMonthDay(field: string): number | null {
  if (!/^[0-9]{3,4}$/.test(field)) return null;
  const value = Number(field);
  const month = Math.floor(value / 100);
  const day = value % 100;
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]) return null;
  return value;
}
