import type { MultiBehaviorDataset } from './dataset.js';
import { SKIP_REASONS } from './dataset.js';
import { EventLog, splitEvents } from './event_split.js';
import { FileReportBuilder, isDigits, readLines } from './file_report.js';
import { IdMap, datasetName, requireNonEmpty, resolveCsvFile, type LoadOptions } from './load_common.js';

/** Behaviors of the raw-log formats, the target first. */
export const RAW_LOG_BEHAVIORS: readonly string[] = ['buy', 'click', 'collect', 'cart'];

/** Taobao behavior codes to indices in `RAW_LOG_BEHAVIORS`. */
const TAOBAO_BEHAVIOR_CODES: Readonly<Record<string, number>> = { buy: 0, pv: 1, fav: 2, cart: 3 };

/**
 * Time window of Taobao UserBehavior, 2017-11-25 00:00 to 2017-12-04 00:00 China time
 * (UTC+8), as Unix seconds [start, end). The dataset's description gives this window, and
 * the few rows outside it are skipped.
 */
export const TAOBAO_TIME_WINDOW = { start: 1511539200, end: 1512316800 } as const;

/**
 * Loads a Taobao `UserBehavior.csv` log (or the one `.csv` file in a folder).
 *
 * Rows are `user_id,item_id,category_id,behavior_type,timestamp` without a header, with
 * behavior types pv (click), fav (collect), cart and buy. User and item ids are mapped to
 * dense indices in order of first appearance among kept rows. Purchases are split per user
 * by time, see `splitEvents`.
 *
 * NOTE: every kept row stays in memory until the split. A generated 2-million-row file peaked
 * at about 300 MB and loaded in about 8 s, so the full 100-million-row file is out of reach.
 */
export async function loadTaobaoRaw(path: string, options: LoadOptions = {}): Promise<MultiBehaviorDataset> {
  const file = await resolveCsvFile(path, 'taobao-raw');
  const report = new FileReportBuilder(file);
  const userIds = new IdMap();
  const itemIds = new IdMap();
  const log = new EventLog();

  for await (const line of readLines(file, options.onProgress)) {
    if (line.trim() === '') {
      report.skip(SKIP_REASONS.blankLine);
      continue;
    }
    const fields = line.split(',');
    if (fields.length !== 5) {
      report.skip(SKIP_REASONS.badColumnCount);
      continue;
    }
    const [user, item, category, code, timestamp] = fields;
    if (!isDigits(user) || !isDigits(item) || !isDigits(category)) {
      report.skip(SKIP_REASONS.nonNumericId);
      continue;
    }
    const behavior = TAOBAO_BEHAVIOR_CODES[code];
    if (!Object.hasOwn(TAOBAO_BEHAVIOR_CODES, code)) {
      report.skip(SKIP_REASONS.unknownBehavior);
      continue;
    }
    if (!isDigits(timestamp)) {
      report.skip(SKIP_REASONS.invalidTime);
      continue;
    }
    const time = Number(timestamp);
    if (time < TAOBAO_TIME_WINDOW.start || time >= TAOBAO_TIME_WINDOW.end) {
      report.skip(SKIP_REASONS.timeOutOfRange);
      continue;
    }
    log.push(userIds.indexOf(user), itemIds.indexOf(item), behavior, time, 0);
    report.keep();
  }

  requireNonEmpty(file, 'taobao-raw', userIds.size, itemIds.size);
  return datasetFromRawLog(path, log, userIds.size, itemIds.size, report);
}

/**
 * Builds a dataset from a raw behaviour log (behaviours in `RAW_LOG_BEHAVIORS` order, buy
 * first): per user, the last purchase goes to test and the one before to validation. Duplicate
 * events removed by the split are counted in `report`.
 */
export function datasetFromRawLog(
  path: string,
  log: EventLog,
  users: number,
  items: number,
  report: FileReportBuilder,
): MultiBehaviorDataset {
  const split = splitEvents(log, {
    users,
    behaviors: RAW_LOG_BEHAVIORS.length,
    target: 0,
    heldOut: ['test', 'validation'],
    sources: 1,
  });
  report.reclassify(SKIP_REASONS.duplicate, split.duplicatesBySource[0]);
  return {
    name: datasetName(path),
    users,
    items,
    behaviors: RAW_LOG_BEHAVIORS,
    train: split.train,
    validation: split.validation,
    test: split.test,
    loadReport: { files: [report.build()] },
  };
}
