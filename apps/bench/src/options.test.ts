import { describe, expect, it } from 'vitest';

import {
  UsageError,
  invocationDirectory,
  parseChoiceList,
  parseList,
  parseNonNegativeInteger,
  parseNumber,
  parsePositiveInteger,
  resolveUserPath,
} from './options.js';

describe('parsePositiveInteger', () => {
  it('accepts positive integers', () => {
    expect(parsePositiveInteger('epochs', '3')).toBe(3);
  });

  it.each(['0', '-1', '1.5', 'x', '', '1e3'])('rejects %j with the option name', (text) => {
    expect(() => parsePositiveInteger('epochs', text)).toThrow(UsageError);
    expect(() => parsePositiveInteger('epochs', text)).toThrow(`--epochs must be a positive integer, got ${JSON.stringify(text)}.`);
  });
});

describe('parseNonNegativeInteger', () => {
  it('accepts zero', () => {
    expect(parseNonNegativeInteger('negatives', '0')).toBe(0);
  });

  it('rejects negative values', () => {
    expect(() => parseNonNegativeInteger('negatives', '-2')).toThrow('--negatives must be a non-negative integer, got "-2".');
  });
});

describe('parseNumber', () => {
  it('accepts scientific notation', () => {
    expect(parseNumber('lr', '1e-3')).toBe(0.001);
  });

  it('rejects text that is not a number', () => {
    expect(() => parseNumber('lr', 'fast')).toThrow('--lr must be a number, got "fast".');
  });

  it('rejects values outside the bounds', () => {
    expect(() => parseNumber('relax-factor', '1.5', { min: 0, max: 1 })).toThrow('--relax-factor must be >= 0 and <= 1, got "1.5".');
    expect(() => parseNumber('lr', '0', { min: 0, minExclusive: true })).toThrow('--lr must be > 0, got "0".');
  });
});

describe('parseList', () => {
  it('splits and trims entries', () => {
    expect(parseList('seeds', '1, 2,3')).toEqual(['1', '2', '3']);
  });

  it('rejects empty entries and duplicates', () => {
    expect(() => parseList('seeds', '1,,2')).toThrow('without empty entries');
    expect(() => parseList('seeds', '1,1')).toThrow('--seeds lists "1" twice');
  });

  it('checks entries against the allowed values', () => {
    expect(() => parseChoiceList('method', 'equal,magic', ['equal', 'single'])).toThrow(
      '--method has unknown entry "magic"; valid values are equal, single.',
    );
  });
});

describe('invocationDirectory', () => {
  it('uses INIT_CWD inside a package script', () => {
    expect(invocationDirectory({ npm_lifecycle_event: 'bench', INIT_CWD: '/repo' }, '/repo/apps/bench')).toBe('/repo');
  });

  it('uses the working directory outside package scripts', () => {
    expect(invocationDirectory({ INIT_CWD: '/elsewhere' }, '/work')).toBe('/work');
  });

  it('leaves absolute paths unchanged', () => {
    expect(resolveUserPath('/data/x.csv', '/repo')).toBe('/data/x.csv');
    expect(resolveUserPath('data/x.csv', '/repo')).toBe('/repo/data/x.csv');
  });
});
