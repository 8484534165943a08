import { TRANSFORM_METHODS } from '@mb/core';
import { describe, expect, it } from 'vitest';

import { METHODS, createMethod, methodNames, parseMethodOptions } from './methods.js';
import { UsageError } from './options.js';

const options = { relaxFactor: 0.5, beta: 0.8, strategy: 'reduce' as const };

describe('method registry', () => {
  it('offers every core method, single first', () => {
    expect(methodNames()).toEqual([...TRANSFORM_METHODS]);
    expect(methodNames()[0]).toBe('single');
  });

  it('names each transform after its registry key', () => {
    for (const name of methodNames()) {
      expect(createMethod(name, options).method).toBe(name);
    }
  });

  it('passes the MetaBalance flags through', () => {
    expect(createMethod('metabalance', options).options).toEqual({ relaxFactor: 0.5, beta: 0.8, strategy: 'reduce' });
  });

  it('lets --method-options override a flag', () => {
    const transform = createMethod('metabalance', { ...options, methodOptions: { metabalance: { relaxFactor: 0.2 } } });
    expect(transform.options.relaxFactor).toBe(0.2);
  });

  it('rejects unknown names, inherited keys included', () => {
    expect(() => createMethod('toString', options)).toThrow(UsageError);
    expect(() => createMethod('magic', options)).toThrow(`valid values are ${Object.keys(METHODS).join(', ')}`);
  });
});

describe('parseMethodOptions', () => {
  it('types numbers, booleans and strings', () => {
    expect(parseMethodOptions('metabalance.relaxFactor=0.3, metabalance.strategy=enlarge,mgda.iterations=5')).toEqual({
      metabalance: { relaxFactor: 0.3, strategy: 'enlarge' },
      mgda: { iterations: 5 },
    });
  });

  it.each([
    ['dwa', 'entries must look like METHOD.OPTION=VALUE, got "dwa"'],
    ['magic.rate=1', 'names unknown method "magic"'],
    ['metabalance.rate=1', 'has unknown option "rate" for metabalance; valid options are relaxFactor, beta, strategy'],
    ['single.x=1', 'for single; it takes no options'],
  ])('rejects %j', (text, message) => {
    expect(() => parseMethodOptions(text)).toThrow(UsageError);
    expect(() => parseMethodOptions(text)).toThrow(message);
  });
});
