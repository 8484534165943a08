import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findSharedDir } from '@mb/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { InteractionSet } from './dataset.js';
import { loadIjcai15, parseMonthDay } from './load_ijcai15.js';

const shared = findSharedDir();
if (shared === null) console.log('Shared data folder not found: skipping the tests on the real IJCAI-15 sample.');

function pairs(set: InteractionSet): [number, number][] {
  return Array.from(set.users, (user, n) => [user, set.items[n]]);
}

/** The pandas-saved layout: a leading index column, float brand ids, dates without a leading zero. */
const BAD_FILE = [
  ',user_id,item_id,cat_id,seller_id,brand_id,time_stamp,action_type',
  '0,10,500,1,1,1.0,601,2',
  '1,10,501,1,1,,602,2',
  '2,10,502,1,1,2.0,0603,2',
  '3,10,503,1,1,2.0,1111,0',
  '4,11,500,1,1,2.0,1111,3',
  '5,11,501,1,1,2.0,1111,1',
  '',
  '6,10,500,1,1,2.0,601',
  '7,x,500,1,1,2.0,601,2',
  '8,10,5.5,1,1,2.0,601,2',
  '9,10,500,1,1,2.0,601,4',
  '10,10,500,1,1,2.0,601,',
  '11,10,500,1,1,2.0,1340,2',
  '12,10,500,1,1,2.0,0230,2',
  '13,10,500,1,1,2.0,510,2',
  '14,10,500,1,1,2.0,1112,2',
  '15,10,500,1,1,2.0,605,2',
];

describe('loadIjcai15 on bad rows', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'recsys-ijcai-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('counts every skip reason', async () => {
    const file = join(folder, 'bad.csv');
    await writeFile(file, BAD_FILE.join('\n') + '\n');
    const [report] = (await loadIjcai15(file)).loadReport!.files;
    expect(report.rowsRead).toBe(17);
    expect(report.rowsKept).toBe(6);
    expect(report.skipped).toEqual({
      'blank line': 1,
      'bad column count': 1,
      'non-numeric id': 2,
      'unknown behavior': 2,
      'invalid time': 2,
      'time out of range': 2,
      duplicate: 1,
    });
  });

  it('maps action types and splits by date', async () => {
    const file = join(folder, 'split.csv');
    await writeFile(file, BAD_FILE.join('\n'));
    const dataset = await loadIjcai15(file);
    expect(dataset.users).toBe(2);
    expect(dataset.items).toBe(4);
    // Purchases of user 10 (index 0) on 06-01, 06-02, 06-03: the last is test, the one before validation.
    expect(pairs(dataset.train[0])).toEqual([[0, 0]]);
    expect(pairs(dataset.validation)).toEqual([[0, 1]]);
    expect(pairs(dataset.test)).toEqual([[0, 2]]);
    expect(pairs(dataset.train[1])).toEqual([[0, 3]]); // action 0: click
    expect(pairs(dataset.train[2])).toEqual([[1, 0]]); // action 3: favourite
    expect(pairs(dataset.train[3])).toEqual([[1, 1]]); // action 1: cart
  });

  it('reads the original zero-padded layout', async () => {
    const file = join(folder, 'original.csv');
    await writeFile(
      file,
      ['user_id,item_id,cat_id,seller_id,brand_id,time_stamp,action_type', '328862,323294,833,2882,2661,0829,2', '328862,844400,1271,2882,2661,0830,2'].join('\n'),
    );
    const dataset = await loadIjcai15(file);
    expect(dataset.loadReport!.files[0].rowsKept).toBe(2);
    expect(pairs(dataset.test)).toEqual([[0, 1]]);
  });

  it('breaks same-day ties by row order', async () => {
    const file = join(folder, 'ties.csv');
    await writeFile(file, ['user_id,item_id,time_stamp,action_type', '1,7,1111,2', '1,5,1111,2', '1,6,1111,2'].join('\n'));
    const dataset = await loadIjcai15(file);
    // Items 7, 5, 6 map to 0, 1, 2; the last row is the test purchase.
    expect(pairs(dataset.test)).toEqual([[0, 2]]);
    expect(pairs(dataset.validation)).toEqual([[0, 1]]);
  });

  it('rejects a header missing a column', async () => {
    const file = join(folder, 'header.csv');
    await writeFile(file, 'user_id,item_id,action_type\n1,2,0\n');
    await expect(loadIjcai15(file)).rejects.toThrow(/has no time_stamp column \(found: user_id, item_id, action_type\)/);
  });

  it('rejects an empty file', async () => {
    const file = join(folder, 'empty.csv');
    await writeFile(file, '');
    await expect(loadIjcai15(file)).rejects.toThrow(/is empty; format ijcai15 needs a header line/);
  });
});

describe('parseMonthDay', () => {
  it('accepts mmdd with or without zero', () => {
    expect(parseMonthDay('0829')).toBe(829);
    expect(parseMonthDay('829')).toBe(829);
    expect(parseMonthDay('1111')).toBe(1111);
  });

  it('rejects impossible dates and text', () => {
    for (const field of ['1340', '0230', '0100', '1232', '29', '12345', '8.29', '', 'abcd']) {
      expect(parseMonthDay(field), field).toBeNull();
    }
  });
});

describe('loadIjcai15 on the real sample', () => {
  const path = shared === null ? '' : join(shared, 'data', 'ijcai15_user_log_sample');

  it.skipIf(shared === null)('matches the documented counts', async () => {
    const dataset = await loadIjcai15(path);
    const [report] = dataset.loadReport!.files;
    expect(report.rowsRead).toBe(10000);
    // Rows per action minus distinct pairs: click 8,751 - 5,786, purchase 672 - 594, favourite 577 - 570.
    expect(report.skipped).toEqual({ duplicate: 2965 + 78 + 7 });
    expect(dataset.users).toBe(62);
    expect(dataset.items).toBe(5916);
    expect(dataset.train[1].users.length).toBe(5786);
    expect(dataset.train[2].users.length).toBe(570);
    expect(dataset.train[3].users.length).toBe(0);
    expect(dataset.train[0].users.length + dataset.validation.users.length + dataset.test.users.length).toBe(594);
  });

  it.skipIf(shared === null)('agrees with an independent parse row by row', async () => {
    const dataset = await loadIjcai15(path);
    const lines = (await readFile(join(path, 'user_log_format1_sample.csv'), 'utf8')).split('\n').filter((line) => line !== '');
    const rows = lines.slice(1).map((line) => line.split(','));
    const users = new Map<string, number>();
    const items = new Map<string, number>();
    for (const [, user, item] of rows) {
      if (!users.has(user)) users.set(user, users.size);
      if (!items.has(item)) items.set(item, items.size);
    }
    const keysOf = (...sets: InteractionSet[]) => new Set(sets.flatMap((set) => pairs(set).map(([u, i]) => `${u},${i}`)));
    const byAction: Record<string, Set<string>> = {
      '0': keysOf(dataset.train[1]),
      '1': keysOf(dataset.train[3]),
      '2': keysOf(dataset.train[0], dataset.validation, dataset.test),
      '3': keysOf(dataset.train[2]),
    };
    // Row 4,429 is the one with an empty brand_id.
    for (const n of [0, 1, 500, 4429, 7777, rows.length - 1]) {
      const [, user, item, , , , , action] = rows[n];
      expect(byAction[action].has(`${users.get(user)},${items.get(item)}`), `row ${n}: ${rows[n].join(',')}`).toBe(true);
    }
  });
});
