import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { IdMap, datasetName, requireFile } from './load_common.js';

describe('IdMap', () => {
  it('assigns indices in order of first appearance', () => {
    const ids = new IdMap();
    expect(['42', '7', '42', 'abc', '7', '1234567890123456789'].map((id) => ids.indexOf(id))).toEqual([0, 1, 0, 2, 1, 3]);
    expect(ids.size).toBe(4);
  });

  it('treats decimal ids by value', () => {
    const ids = new IdMap();
    expect(ids.indexOf('7')).toBe(0);
    expect(ids.indexOf('007')).toBe(0);
    expect(ids.indexOf('7.0')).toBe(1);
  });

  it('keeps long numeric ids apart', () => {
    // Both round to the same float64, so they must be keyed by text.
    const ids = new IdMap();
    expect(ids.indexOf('12345678901234567890')).toBe(0);
    expect(ids.indexOf('12345678901234567891')).toBe(1);
  });
});

describe('datasetName', () => {
  it('strips folders, extensions and trailing slashes', () => {
    expect(datasetName('/data/UserBehavior.csv')).toBe('UserBehavior');
    expect(datasetName('/data/tmall_subset/')).toBe('tmall_subset');
    expect(datasetName('relative/taobao')).toBe('taobao');
  });
});

describe('requireFile', () => {
  it('rejects a folder in place of a file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'recsys-common-'));
    try {
      await writeFile(join(folder, 'a.txt'), '');
      await expect(requireFile(folder, 'a.txt', 'mbgcn-pairs')).resolves.toBe(join(folder, 'a.txt'));
      await expect(requireFile(tmpdir(), folder.slice(tmpdir().length + 1), 'mbgcn-pairs')).rejects.toThrow(/not a regular file/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
