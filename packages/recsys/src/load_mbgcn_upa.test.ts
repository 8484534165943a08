import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findSharedDir } from '@mb/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { InteractionSet } from './dataset.js';
import { loadMbgcnUpa } from './load_mbgcn_upa.js';

const shared = findSharedDir();
if (shared === null) console.log('Shared data folder not found: skipping the tests on the real Taobao MBGCN-UPA set.');

function pairs(set: InteractionSet): [number, number][] {
  return Array.from(set.users, (user, n) => [user, set.items[n]]);
}

const BAD_FOLDER: Record<string, string> = {
  // Kept: 0 -> 5 6 7, 1 -> 8, 3 -> 4. Skipped: a blank line, a line without items, a bad user
  // id (2 entries), a bad item id and a repeated item.
  'buy_train.txt': '0 5 6 7\n1 8\n\n2\nx 1 2\n3 4 y 4\n',
  'pv_train.txt': '0 1 2\n1 1\n',
  'fav_train.txt': '0 3\n',
  'cart_train.txt': '1 2\n',
  'pv_test.txt': '0 9\n',
  // Repeats the training pair (0, 3).
  'fav_test.txt': '0 3\n',
  // A test line must hold one item.
  'cart_test.txt': '1 2 3\n',
  // (0, 8) twice, then (1, 8), a training purchase, then an id above 2^31 - 1.
  'buy_test.txt': '0 8\n0 8\n1 8\n3 99999999999\n',
};

async function writeFolder(folder: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
}

describe('loadMbgcnUpa on bad rows', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'recsys-upa-'));
    await writeFolder(folder, BAD_FOLDER);
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('counts every skip reason per file', async () => {
    const dataset = await loadMbgcnUpa(folder);
    const reports = Object.fromEntries(dataset.loadReport!.files.map((report) => [report.path.slice(folder.length + 1), report]));
    expect(Object.keys(reports)).toEqual([
      'buy_train.txt',
      'pv_train.txt',
      'fav_train.txt',
      'cart_train.txt',
      'pv_test.txt',
      'fav_test.txt',
      'cart_test.txt',
      'buy_test.txt',
    ]);
    expect(reports['buy_train.txt']).toMatchObject({
      rowsRead: 11,
      rowsKept: 5,
      skipped: { 'blank line': 1, 'bad column count': 1, 'non-numeric id': 3, duplicate: 1 },
    });
    expect(reports['pv_train.txt']).toMatchObject({ rowsRead: 3, rowsKept: 3, skipped: {} });
    expect(reports['fav_test.txt']).toMatchObject({ rowsRead: 1, rowsKept: 0, skipped: { duplicate: 1 } });
    expect(reports['cart_test.txt']).toMatchObject({ rowsRead: 2, rowsKept: 0, skipped: { 'bad column count': 2 } });
    expect(reports['buy_test.txt']).toMatchObject({
      rowsRead: 4,
      rowsKept: 1,
      skipped: { duplicate: 1, 'held-out pair also in training': 1, 'id out of range': 1 },
    });
  });

  it('holds out the last purchase', async () => {
    const dataset = await loadMbgcnUpa(folder);
    expect(dataset.users).toBe(4);
    expect(dataset.items).toBe(10);
    expect(dataset.behaviors).toEqual(['buy', 'click', 'collect', 'cart']);
    expect(pairs(dataset.train[0])).toEqual([[0, 5], [0, 6], [1, 8], [3, 4]]);
    expect(pairs(dataset.validation)).toEqual([[0, 7]]);
    expect(pairs(dataset.test)).toEqual([[0, 8]]);
    // Auxiliary test items join the auxiliary training sets.
    expect(pairs(dataset.train[1])).toEqual([[0, 1], [0, 2], [0, 9], [1, 1]]);
    expect(pairs(dataset.train[2])).toEqual([[0, 3]]);
    expect(pairs(dataset.train[3])).toEqual([[1, 2]]);
  });

  it('bounds ids by the index files', async () => {
    const indexed = await mkdtemp(join(tmpdir(), 'recsys-upa-index-'));
    try {
      const userIndex = ['original_id,new_id', '41,0', '43,1', '50,2', '51,3'].join('\n');
      const itemIndex = ['original_id,new_id', ...Array.from({ length: 9 }, (_, n) => `${100 + n},${n}`)].join('\n');
      await writeFolder(indexed, { ...BAD_FOLDER, 'user_index.csv': userIndex, 'item_index.csv': itemIndex });
      const dataset = await loadMbgcnUpa(indexed);
      expect(dataset.users).toBe(4);
      expect(dataset.items).toBe(9);
      // Item 9 of pv_test.txt is now outside the 9 indexed items.
      const pvTest = dataset.loadReport!.files.find((report) => report.path.endsWith('pv_test.txt'))!;
      expect(pvTest).toMatchObject({ rowsRead: 1, rowsKept: 0, skipped: { 'id out of range': 1 } });
      expect(pairs(dataset.train[1])).toEqual([[0, 1], [0, 2], [1, 1]]);
    } finally {
      await rm(indexed, { recursive: true, force: true });
    }
  });

  it('rejects a folder with a missing file', async () => {
    const partial = await mkdtemp(join(tmpdir(), 'recsys-upa-partial-'));
    try {
      const { ['pv_test.txt']: _pv, ...rest } = BAD_FOLDER;
      await writeFolder(partial, rest);
      await expect(loadMbgcnUpa(partial)).rejects.toThrow(/cannot read .*pv_test.txt for format mbgcn-upa: ENOENT/);
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  });
});

describe('loadMbgcnUpa on the real Taobao set', () => {
  const path = shared === null ? '' : join(shared, 'data', 'taobao_userbehavior_mbgcnupa');

  it.skipIf(shared === null)('matches the documented counts', async () => {
    const dataset = await loadMbgcnUpa(path);
    expect(dataset.users).toBe(12770);
    expect(dataset.items).toBe(62891);
    const expectedRows: Record<string, number> = {
      'buy_train.txt': 46415,
      'pv_train.txt': 253451,
      'fav_train.txt': 111394,
      'cart_train.txt': 91570,
      'pv_test.txt': 12770,
      'fav_test.txt': 12770,
      'cart_test.txt': 12770,
      'buy_test.txt': 12770,
    };
    for (const report of dataset.loadReport!.files) {
      const name = report.path.slice(path.length + 1);
      expect(report, name).toEqual({ path: report.path, rowsRead: expectedRows[name], rowsKept: expectedRows[name], skipped: {} });
    }
    // One validation purchase per user leaves the training list; test items never repeat in it.
    expect(dataset.train[0].users.length).toBe(46415 - 12770);
    expect(dataset.validation.users.length).toBe(12770);
    expect(dataset.test.users.length).toBe(12770);
    expect(dataset.train[1].users.length).toBe(253451 + 12770);
    expect(dataset.train[2].users.length).toBe(111394 + 12770);
    expect(dataset.train[3].users.length).toBe(91570 + 12770);
  });

  it.skipIf(shared === null)('validates on each user\'s last purchase', async () => {
    const dataset = await loadMbgcnUpa(path);
    const lines = (await readFile(join(path, 'buy_train.txt'), 'utf8')).split('\n').filter((line) => line !== '');
    const expectedValidation = lines
      .map((line) => line.split(' ').map(Number))
      .map((ids) => [ids[0], ids[ids.length - 1]] as [number, number])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(pairs(dataset.validation).join(';')).toBe(expectedValidation.join(';'));

    // First line: "0 39376 35947 5508 43512 22638"; the test file starts with "0 22166".
    const train = new Set(pairs(dataset.train[0]).map(([u, i]) => `${u},${i}`));
    for (const item of [39376, 35947, 5508, 43512]) expect(train.has(`0,${item}`), `item ${item}`).toBe(true);
    expect(train.has('0,22638')).toBe(false);
    expect(pairs(dataset.test)[0]).toEqual([0, 22166]);
  });
});
