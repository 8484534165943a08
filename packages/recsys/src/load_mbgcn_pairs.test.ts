import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findSharedDir } from '@mb/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { InteractionSet } from './dataset.js';
import { loadMbgcnPairs } from './load_mbgcn_pairs.js';

const shared = findSharedDir();
if (shared === null) console.log('Shared data folder not found: skipping the tests on the real Tmall subset.');

function pairs(set: InteractionSet): [number, number][] {
  return Array.from(set.users, (user, n) => [user, set.items[n]]);
}

const BAD_FOLDER: Record<string, string> = {
  'data_size.txt': '3 4\n',
  // Kept (0,1) (0,2) (1,3); then blank, duplicate, out of range, non-numeric, bad column count.
  'train.txt': '0 1\n0 2\n\n0 1\n5 1\n0 x\n1 2 3\n1 3\n',
  'click.txt': '0 0\r\n2 3\r\n',
  'collect.txt': '1 0\n',
  'cart.txt': '',
  // (0,1) is a training purchase.
  'validation.txt': '0 3\n0 1\n2 0\n',
  'test.txt': '1 1\n1 1\n0 0\n',
};

async function writeFolder(folder: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
}

describe('loadMbgcnPairs on bad rows', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'recsys-mbgcn-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('counts every skip reason per file', async () => {
    const folder = await mkdtemp(join(root, 'bad-'));
    await writeFolder(folder, BAD_FOLDER);
    const dataset = await loadMbgcnPairs(folder);
    const reports = Object.fromEntries(dataset.loadReport!.files.map((report) => [report.path.slice(folder.length + 1), report]));
    expect(Object.keys(reports)).toEqual(['train.txt', 'click.txt', 'collect.txt', 'cart.txt', 'validation.txt', 'test.txt']);
    expect(reports['train.txt']).toMatchObject({
      rowsRead: 8,
      rowsKept: 3,
      skipped: { 'blank line': 1, duplicate: 1, 'id out of range': 1, 'non-numeric id': 1, 'bad column count': 1 },
    });
    expect(reports['click.txt']).toMatchObject({ rowsRead: 2, rowsKept: 2, skipped: {} });
    expect(reports['cart.txt']).toMatchObject({ rowsRead: 0, rowsKept: 0, skipped: {} });
    expect(reports['validation.txt']).toMatchObject({ rowsRead: 3, rowsKept: 2, skipped: { 'held-out pair also in training': 1 } });
    expect(reports['test.txt']).toMatchObject({ rowsRead: 3, rowsKept: 2, skipped: { duplicate: 1 } });
  });

  it('keeps the given ids and splits', async () => {
    const folder = await mkdtemp(join(root, 'split-'));
    await writeFolder(folder, BAD_FOLDER);
    const dataset = await loadMbgcnPairs(folder);
    expect(dataset.users).toBe(3);
    expect(dataset.items).toBe(4);
    expect(dataset.behaviors).toEqual(['buy', 'click', 'collect', 'cart']);
    expect(pairs(dataset.train[0])).toEqual([[0, 1], [0, 2], [1, 3]]);
    expect(pairs(dataset.train[1])).toEqual([[0, 0], [2, 3]]);
    expect(pairs(dataset.train[2])).toEqual([[1, 0]]);
    expect(pairs(dataset.train[3])).toEqual([]);
    expect(pairs(dataset.validation)).toEqual([[0, 3], [2, 0]]);
    expect(pairs(dataset.test)).toEqual([[0, 0], [1, 1]]);
  });

  it('rejects missing files and bad sizes', async () => {
    const missing = await mkdtemp(join(root, 'missing-'));
    const { ['cart.txt']: _cart, ...withoutCart } = BAD_FOLDER;
    await writeFolder(missing, withoutCart);
    await expect(loadMbgcnPairs(missing)).rejects.toThrow(/cannot read .*cart.txt for format mbgcn-pairs: ENOENT/);

    const badSize = await mkdtemp(join(root, 'size-'));
    await writeFolder(badSize, { ...BAD_FOLDER, 'data_size.txt': '3\n' });
    await expect(loadMbgcnPairs(badSize)).rejects.toThrow(/data_size.txt must contain two positive integers "users items", got "3"/);
  });

  it('rejects a file path', async () => {
    const folder = await mkdtemp(join(root, 'file-'));
    await writeFolder(folder, BAD_FOLDER);
    await expect(loadMbgcnPairs(join(folder, 'train.txt'))).rejects.toThrow(/needs a folder/);
  });
});

describe('loadMbgcnPairs on the real Tmall subset', () => {
  const path = shared === null ? '' : join(shared, 'data', 'tmall_mbgcn_subset10k');

  it.skipIf(shared === null)('matches the documented counts', async () => {
    const dataset = await loadMbgcnPairs(path);
    expect(dataset.name).toBe('tmall_mbgcn_subset10k');
    expect(dataset.users).toBe(10000);
    expect(dataset.items).toBe(3000);
    const expected: Record<string, number> = {
      'train.txt': 18126,
      'click.txt': 143629,
      'collect.txt': 18291,
      'cart.txt': 167,
      'validation.txt': 3139,
      'test.txt': 7361,
    };
    for (const report of dataset.loadReport!.files) {
      const name = report.path.slice(path.length + 1);
      expect(report, name).toEqual({ path: report.path, rowsRead: expected[name], rowsKept: expected[name], skipped: {} });
    }
    expect(dataset.train.map((set) => set.users.length)).toEqual([18126, 143629, 18291, 167]);
    expect(dataset.validation.users.length).toBe(3139);
    expect(dataset.test.users.length).toBe(7361);
    expect(new Set(dataset.test.users).size).toBe(5600);
  });

  it.skipIf(shared === null)('holds exactly the pairs of each file', async () => {
    const dataset = await loadMbgcnPairs(path);
    const sets: [string, InteractionSet][] = [
      ['train.txt', dataset.train[0]],
      ['buy.txt', dataset.train[0]],
      ['click.txt', dataset.train[1]],
      ['collect.txt', dataset.train[2]],
      ['cart.txt', dataset.train[3]],
      ['validation.txt', dataset.validation],
      ['test.txt', dataset.test],
    ];
    for (const [file, set] of sets) {
      const text = await readFile(join(path, file), 'utf8');
      const expected = text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split(' ').map(Number) as [number, number])
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      // Compared as text because a deep comparison of 143,629 tuples takes seconds.
      expect(pairs(set).join(';'), file).toBe(expected.join(';'));
    }
  });
});
