import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InvalidArgumentError } from '@mb/core';
import { findSharedDir } from '@mb/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { InteractionSet } from './dataset.js';
import { loadTaobaoRaw, TAOBAO_TIME_WINDOW } from './load_taobao_raw.js';

const shared = findSharedDir();
if (shared === null) console.log('Shared data folder not found: skipping the tests on the real Taobao sample.');

function pairs(set: InteractionSet): [number, number][] {
  return Array.from(set.users, (user, n) => [user, set.items[n]]);
}

/** One row per skip reason, plus kept rows for two users. */
const BAD_FILE = [
  '1,100,5,pv,1511544070',
  '1,101,5,buy,1511544071',
  '1,102,5,buy,1511544072',
  '1,103,5,buy,1511544073',
  '',
  '1,100,5,pv',
  '1,100,5,pv,1511544070,extra',
  'a,100,5,pv,1511544070',
  '1,-100,5,pv,1511544070',
  '1,100,5,click,1511544070',
  '1,100,5,pv,15115e8',
  '1,100,5,pv,1505117799',
  `1,100,5,pv,${TAOBAO_TIME_WINDOW.end}`,
  '1,100,5,pv,1511544090',
  '2,100,5,fav,1511544070',
  '2,104,5,cart,1511544070',
];

describe('loadTaobaoRaw on bad rows', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'recsys-taobao-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('counts every skip reason', async () => {
    const file = join(folder, 'bad.csv');
    await writeFile(file, BAD_FILE.join('\n') + '\n');
    const dataset = await loadTaobaoRaw(file);
    const [report] = dataset.loadReport!.files;
    expect(report.path).toBe(file);
    expect(report.rowsRead).toBe(16);
    expect(report.rowsKept).toBe(6);
    expect(report.skipped).toEqual({
      'blank line': 1,
      'bad column count': 2,
      'non-numeric id': 2,
      'unknown behavior': 1,
      'invalid time': 1,
      'time out of range': 2,
      duplicate: 1,
    });
  });

  it('maps ids and splits by time', async () => {
    const file = join(folder, 'split.csv');
    await writeFile(file, BAD_FILE.join('\n'));
    const dataset = await loadTaobaoRaw(file);
    expect(dataset.name).toBe('split');
    expect(dataset.users).toBe(2);
    expect(dataset.items).toBe(5);
    expect(dataset.behaviors).toEqual(['buy', 'click', 'collect', 'cart']);
    // Users 1, 2 -> 0, 1; items 100..104 -> 0..4, in order of first kept appearance.
    expect(pairs(dataset.train[0])).toEqual([[0, 1]]);
    expect(pairs(dataset.train[1])).toEqual([[0, 0]]);
    expect(pairs(dataset.train[2])).toEqual([[1, 0]]);
    expect(pairs(dataset.train[3])).toEqual([[1, 4]]);
    expect(pairs(dataset.validation)).toEqual([[0, 2]]);
    expect(pairs(dataset.test)).toEqual([[0, 3]]);
  });

  it('reads CRLF files and folders', async () => {
    const sub = join(folder, 'crlf');
    await mkdir(sub);
    await writeFile(join(sub, 'UserBehavior.csv'), BAD_FILE.join('\r\n') + '\r\n');
    const dataset = await loadTaobaoRaw(sub);
    expect(dataset.name).toBe('crlf');
    expect(dataset.loadReport!.files[0].rowsKept).toBe(6);
    expect(pairs(dataset.test)).toEqual([[0, 3]]);
  });

  it('rejects folders with two csv files', async () => {
    const sub = join(folder, 'two');
    await mkdir(sub);
    await writeFile(join(sub, 'a.csv'), BAD_FILE[0]);
    await writeFile(join(sub, 'b.csv'), BAD_FILE[0]);
    await expect(loadTaobaoRaw(sub)).rejects.toThrow(/exactly one, but .* holds 2 \(a.csv, b.csv\)/);
  });

  it('rejects missing and empty files', async () => {
    await expect(loadTaobaoRaw(join(folder, 'missing.csv'))).rejects.toThrow(/cannot read .*missing.csv for format taobao-raw: ENOENT/);
    const empty = join(folder, 'empty.csv');
    await writeFile(empty, 'a,b\n');
    await expect(loadTaobaoRaw(empty)).rejects.toThrow(InvalidArgumentError);
  });
});

describe('loadTaobaoRaw on the real sample', () => {
  const path = shared === null ? '' : join(shared, 'data', 'taobao_userbehavior_raw_sample');

  it.skipIf(shared === null)('matches the documented counts', async () => {
    const dataset = await loadTaobaoRaw(path);
    const [report] = dataset.loadReport!.files;
    expect(report.rowsRead).toBe(4321);
    // One pv row is outside the time window. The others repeat earlier pairs:
    // pv 3,925 rows for 3,120 pairs, cart 190 for 185, buy 77 for 70.
    expect(report.skipped).toEqual({ 'time out of range': 1, duplicate: 805 + 5 + 7 });
    expect(report.rowsKept).toBe(3120 + 128 + 185 + 70);
    expect(dataset.users).toBe(43);
    // 3,276 items minus the one that only occurs in the skipped row.
    expect(dataset.items).toBe(3275);
    expect(dataset.train[1].users.length).toBe(3120);
    expect(dataset.train[2].users.length).toBe(128);
    expect(dataset.train[3].users.length).toBe(185);
    expect(dataset.train[0].users.length + dataset.validation.users.length + dataset.test.users.length).toBe(70);
  });

  it.skipIf(shared === null)('agrees with an independent parse row by row', async () => {
    const dataset = await loadTaobaoRaw(path);
    const text = await readFile(join(path, 'UserBehavior_sample.csv'), 'utf8');
    const rows = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split(','))
      .filter(([, , , , time]) => Number(time) >= TAOBAO_TIME_WINDOW.start && Number(time) < TAOBAO_TIME_WINDOW.end);
    const users = new Map<string, number>();
    const items = new Map<string, number>();
    for (const [user, item] of rows) {
      if (!users.has(user)) users.set(user, users.size);
      if (!items.has(item)) items.set(item, items.size);
    }

    const has = (set: InteractionSet, user: number, item: number) =>
      pairs(set).some(([u, i]) => u === user && i === item);
    const behaviorIndex: Record<string, number> = { buy: 0, pv: 1, fav: 2, cart: 3 };
    for (const n of [0, 1, 2, 100, 1000, 2500, rows.length - 1]) {
      const [user, item, , code] = rows[n];
      const u = users.get(user)!;
      const i = items.get(item)!;
      const b = behaviorIndex[code];
      const found = b === 0 ? has(dataset.train[0], u, i) || has(dataset.validation, u, i) || has(dataset.test, u, i) : has(dataset.train[b], u, i);
      expect(found, `row ${n}: ${rows[n].join(',')}`).toBe(true);
    }

    // Each user's last purchased item (by first purchase time) is their test item.
    const firstPurchase = new Map<string, Map<string, number>>();
    for (const [user, item, , code, time] of rows) {
      if (code !== 'buy') continue;
      const byItem = firstPurchase.get(user) ?? new Map<string, number>();
      if (!byItem.has(item)) byItem.set(item, Number(time));
      firstPurchase.set(user, byItem);
    }
    const expectedTest: [number, number][] = [];
    for (const [user, byItem] of firstPurchase) {
      if (byItem.size < 2) continue;
      const last = [...byItem.entries()].reduce((best, entry) => (entry[1] >= best[1] ? entry : best));
      expectedTest.push([users.get(user)!, items.get(last[0])!]);
    }
    expectedTest.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(pairs(dataset.test)).toEqual(expectedTest);
  });
});
