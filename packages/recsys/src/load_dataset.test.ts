import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InvalidArgumentError } from '@mb/core';
import { findSharedDir } from '@mb/core/testing';
import { describe, expect, it } from 'vitest';

import { summarizeDataset, validateDataset } from './dataset.js';
import { DATASET_FORMATS, loadDataset, type DatasetFormat } from './load_dataset.js';

const shared = findSharedDir();
if (shared === null) console.log('Shared data folder not found: skipping the loadDataset tests on real files.');

const REAL_SETS: [string, DatasetFormat][] = [
  ['tmall_mbgcn_subset10k', 'mbgcn-pairs'],
  ['taobao_userbehavior_mbgcnupa', 'mbgcn-upa'],
  ['taobao_userbehavior_raw_sample', 'taobao-raw'],
  ['ijcai15_user_log_sample', 'ijcai15'],
];

describe('loadDataset', () => {
  it('lists every format', () => {
    expect(DATASET_FORMATS).toEqual(['mbgcn-pairs', 'mbgcn-upa', 'taobao-raw', 'ijcai15']);
  });

  it('rejects an unknown format and an empty path', async () => {
    await expect(loadDataset('/tmp', 'csv' as DatasetFormat)).rejects.toThrow(
      /format must be one of mbgcn-pairs, mbgcn-upa, taobao-raw, ijcai15, got "csv"/,
    );
    await expect(loadDataset('', 'taobao-raw')).rejects.toThrow(InvalidArgumentError);
  });

  it('reports progress', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'recsys-load-'));
    try {
      const file = join(folder, 'log.csv');
      await writeFile(file, '1,2,3,buy,1511544070\n1,3,3,pv,1511544071\n');
      const messages: string[] = [];
      const dataset = await loadDataset(file, 'taobao-raw', { onProgress: (message) => messages.push(message) });
      expect(dataset.users).toBe(1);
      expect(messages).toEqual([`Reading ${file}`, `Finished ${file}: 2 lines`]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  for (const [folder, format] of REAL_SETS) {
    it.skipIf(shared === null)(`loads ${folder} as a valid dataset`, async () => {
      const dataset = await loadDataset(join(shared!, 'data', folder), format);
      expect(() => validateDataset('test', dataset)).not.toThrow();
      expect(dataset.behaviors[0]).toBe('buy');
      const summary = summarizeDataset(dataset);
      expect(summary.testPairs).toBeGreaterThan(0);
      for (const report of dataset.loadReport!.files) {
        const skipped = Object.values(report.skipped).reduce((a, b) => a + b, 0);
        expect(report.rowsRead, report.path).toBe(report.rowsKept + skipped);
      }
    });
  }
});
