import { InvalidArgumentError } from '@mb/core';

import type { MultiBehaviorDataset } from './dataset.js';
import type { LoadOptions } from './load_common.js';
import { loadIjcai15 } from './load_ijcai15.js';
import { loadMbgcnPairs } from './load_mbgcn_pairs.js';
import { loadMbgcnUpa } from './load_mbgcn_upa.js';
import { loadTaobaoRaw } from './load_taobao_raw.js';

/** File formats that `loadDataset` reads. */
export type DatasetFormat = 'mbgcn-pairs' | 'mbgcn-upa' | 'taobao-raw' | 'ijcai15';

/** Every `DatasetFormat`, for command-line choices. */
export const DATASET_FORMATS: readonly DatasetFormat[] = ['mbgcn-pairs', 'mbgcn-upa', 'taobao-raw', 'ijcai15'];

const LOADERS: Readonly<Record<DatasetFormat, (path: string, options: LoadOptions) => Promise<MultiBehaviorDataset>>> = {
  'mbgcn-pairs': loadMbgcnPairs,
  'mbgcn-upa': loadMbgcnUpa,
  'taobao-raw': loadTaobaoRaw,
  ijcai15: loadIjcai15,
};

/**
 * Loads a multi-behavior dataset from a file or folder in the given format, streaming each
 * file. Malformed rows are skipped and counted by reason in `loadReport`; a missing file,
 * an unreadable header or a load that keeps no rows raises `InvalidArgumentError`.
 */
export async function loadDataset(
  path: string,
  format: DatasetFormat,
  options: LoadOptions = {},
): Promise<MultiBehaviorDataset> {
  if (typeof path !== 'string' || path === '') {
    throw new InvalidArgumentError('loadDataset', `path must be a non-empty string, got ${JSON.stringify(path)}.`);
  }
  if (!Object.hasOwn(LOADERS, format)) {
    throw new InvalidArgumentError(
      'loadDataset',
      `format must be one of ${DATASET_FORMATS.join(', ')}, got ${JSON.stringify(format)}.`,
    );
  }
  return LOADERS[format](path, options);
}
