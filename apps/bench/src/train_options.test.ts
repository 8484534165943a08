import { describe, expect, it } from 'vitest';

import { UsageError } from './options.js';
import { TRAIN_DEFAULTS, defaultOutputFolder, parseTrainOptions, trainHelp } from './train_options.js';

describe('parseTrainOptions', () => {
  it('applies the documented defaults', () => {
    const config = parseTrainOptions([], new Date('2026-01-02T03:04:05.678Z'))!;
    expect(config.data).toEqual({ kind: 'synthetic' });
    expect(config.backends).toEqual(['tfjs-cpu', 'onnx-cpu']);
    expect(config.methods).toEqual(['single', 'equal', 'metabalance']);
    expect(config.seeds).toEqual([1]);
    expect(config.epochs).toBe(TRAIN_DEFAULTS.epochs);
    expect(config.batchSize).toBe(256);
    expect(config.negatives).toBe(1);
    expect(config.model).toEqual({ gmfDim: 8, mlpDim: 32, hidden: [32, 16, 8] });
    expect(config.relaxFactor).toBe(0.7);
    expect(config.beta).toBe(0.9);
    expect(config.strategy).toBe('both');
    expect(config.out.endsWith('bench-results/2026-01-02T03-04-05Z')).toBe(true);
  });

  it('reads every option', () => {
    const config = parseTrainOptions([
      '--backend', 'onnx-cpu', '--method', 'metabalance', '--seeds', '4,5', '--epochs', '2', '--batch-size', '64',
      '--negatives', '0', '--factor', '4', '--hidden', '8,4', '--lr', '0.01', '--weight-decay', '0',
      '--relax-factor', '0.5', '--beta', '0', '--strategy', 'reduce', '--log-every', '3', '--out', '/tmp/x',
      '--onnx-threads', '2', '--synthetic-users', '50', '--synthetic-clicks', '5',
    ])!;
    expect(config.backends).toEqual(['onnx-cpu']);
    expect(config.seeds).toEqual([4, 5]);
    expect(config.negatives).toBe(0);
    expect(config.model).toEqual({ gmfDim: 4, mlpDim: 16, hidden: [8, 4] });
    expect(config.learningRate).toBe(0.01);
    expect(config.relaxFactor).toBe(0.5);
    expect(config.beta).toBe(0);
    expect(config.strategy).toBe('reduce');
    expect(config.onnxThreads).toBe(2);
    expect(config.out).toBe('/tmp/x');
    expect(config.data).toEqual({ kind: 'synthetic', users: 50, clicksPerUser: 5 });
  });

  it('returns null for --help', () => {
    expect(parseTrainOptions(['--epochs', '2', '--help'])).toBeNull();
  });

  it.each([
    [['--epochs', 'x'], '--epochs must be a positive integer, got "x".'],
    [['--epochs'], 'option --epochs needs a value, as in --epochs N. Run "mb-bench train --help" for the options.'],
    [['--frobnicate', '1'], 'unknown option --frobnicate. Run "mb-bench train --help" for the options.'],
    [['--backend', 'tfjs-gpu'], '--backend has unknown entry "tfjs-gpu"; valid values are tfjs-cpu, tfjs-wasm,'],
    [['--backend', 'reference'], '--backend reference has no NeuMF trainer'],
    [['--method', 'magic'], '--method has unknown entry "magic"; valid values are single, equal, metabalance'],
    [['--beta', '1'], '--beta must be >= 0 and < 1, got "1".'],
    [['--strategy', 'all'], '--strategy must be one of both, reduce, enlarge, got "all".'],
    [['--data', 'x.csv'], '--data needs --format'],
    [['--data', 'x.csv', '--format', 'csv'], '--format must be one of'],
    [['--format', 'ijcai15'], '--format ijcai15 needs --data PATH.'],
    [['--data', 'x', '--format', 'ijcai15', '--synthetic-users', '5'], '--synthetic-users applies to the synthetic dataset only'],
    [['stray'], 'unexpected arguments "stray"'],
    [['--method', 'metabalance', '--method-options', 'metabalance.relaxFactor=2'], '--method-options for metabalance is invalid: Error in metaBalance: options.relaxFactor must be in [0, 1], got 2.'],
  ])('rejects %j', (args, message) => {
    expect(() => parseTrainOptions(args)).toThrow(UsageError);
    expect(() => parseTrainOptions(args)).toThrow(message);
  });
});

describe('trainHelp', () => {
  it('lists every option with its default', () => {
    // Descriptions wrap, so whitespace is normalised before searching.
    const help = trainHelp().replace(/\s+/g, ' ');
    for (const flag of ['--data PATH', '--format NAME', '--backend LIST', '--method LIST', '--epochs N', '--seeds LIST', '--out DIR', '--help']) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('(default: tfjs-cpu,onnx-cpu)');
    expect(help).toContain('(default: single,equal,metabalance)');
    expect(help).toContain('metabalance MetaBalance: auxiliary gradients');
    expect(help).toContain('[relaxFactor, beta, strategy]');
  });
});

describe('defaultOutputFolder', () => {
  it('makes a file-name-safe UTC timestamp', () => {
    expect(defaultOutputFolder(new Date('2026-12-04T20:15:00.123Z'))).toBe('bench-results/2026-12-04T20-15-00Z');
  });
});
