/**
 * Measures the training-step throughput of the fused onnxruntime step on the NeuMF shape of the
 * PyTorch speed peer: 10,000 users, 3,000 items, factor 32, MLP [128, 64, 32], 4 tasks, batch
 * 1024. Modes:
 * - `metabalance`: per-task backward passes, core's MetaBalance traced into the graph, Adam;
 * - `equal`: the same step with core's equal weighting in place of MetaBalance;
 * - `sum`: plain multi-task training, one backward pass of the summed loss and no transform.
 * With `--python PATH --peer FILE` it also runs the PyTorch peer (modes `metabalance` and `sum`)
 * with the same thread count and prints the ratios.
 *
 * Usage: node dist/bench/neumf_step_bench.js [--threads 2] [--steps 200] [--warmup 20]
 *        [--modes metabalance,equal,sum] [--spinning]
 *        [--python /path/to/python3 --peer /path/to/torch_neumf_metabalance.py]
 *
 * onnxruntime's idle intra-op threads do not spin unless `--spinning` is given, because
 * spinning threads compete with every other process for the cores.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { equalWeighting, metaBalance } from '@mb/core';
import { createRng, initNeuMFParameters } from '@mb/recsys';
import type { NeuMFConfig, TrainingBatch } from '@mb/recsys';

import { batchFeeds, createNeuMFTrainer, neumfModel } from '../neumf.js';
import { createTrainer } from '../trainer.js';

const CONFIG: NeuMFConfig = { users: 10_000, items: 3_000, gmfDim: 32, mlpDim: 128, hidden: [128, 64, 32], tasks: 4 };
const BATCH = 1024;
const ADAM = { learningRate: 1e-3, weightDecay: 1e-7 };
const MODES = ['metabalance', 'equal', 'sum'] as const;
type Mode = (typeof MODES)[number];

interface Figure {
  readonly backend: string;
  readonly mode: Mode;
  readonly stepsPerSecond: number;
}

interface RunOptions {
  readonly threads: number;
  readonly allowSpinning: boolean;
  readonly warmup: number;
  readonly steps: number;
}

function makeBatches(count: number): TrainingBatch[] {
  const rng = createRng(0);
  return Array.from({ length: count }, () => ({
    users: Int32Array.from({ length: BATCH }, () => rng.nextInt(CONFIG.users)),
    items: Int32Array.from({ length: BATCH }, () => rng.nextInt(CONFIG.items)),
    labels: Array.from({ length: CONFIG.tasks }, () => Float32Array.from({ length: BATCH }, () => (rng.nextFloat() < 0.3 ? 1 : 0))),
  }));
}

async function timeSteps(step: (n: number) => Promise<unknown>, run: RunOptions): Promise<number> {
  for (let n = 0; n < run.warmup; n++) await step(n);
  const start = process.hrtime.bigint();
  for (let n = 0; n < run.steps; n++) await step(n);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return run.steps / seconds;
}

async function benchOnnx(mode: Mode, run: RunOptions): Promise<Figure> {
  const batches = makeBatches(16);
  const initialParameters = initNeuMFParameters(CONFIG, 0);
  const sessionOptions = { intraOpThreads: run.threads, allowSpinning: run.allowSpinning };
  if (mode !== 'sum') {
    const transform = mode === 'metabalance' ? metaBalance() : equalWeighting();
    const trainer = createNeuMFTrainer({ model: CONFIG, initialParameters, transform, adam: ADAM, ...sessionOptions });
    try {
      const stepsPerSecond = await timeSteps((n) => trainer.step(batches[n % batches.length]), run);
      return { backend: trainer.backendName, mode, stepsPerSecond };
    } finally {
      await trainer.dispose();
    }
  }

  // The summed-loss step needs the generic trainer, because the NeuMF trainer requires a
  // transform. It converts each batch with the same batchFeeds call the NeuMF trainer makes.
  const trainer = createTrainer({ model: neumfModel(CONFIG), initialParameters, transform: null, adam: ADAM, ...sessionOptions });
  try {
    const stepsPerSecond = await timeSteps((n) => trainer.step(batchFeeds(CONFIG, batches[n % batches.length]), BATCH), run);
    return { backend: 'onnx-cpu', mode, stepsPerSecond };
  } finally {
    await trainer.release();
  }
}

function benchPeer(python: string, peer: string, mode: 'metabalance' | 'sum', run: RunOptions): Figure {
  const args = [peer, '--threads', String(run.threads), '--mode', mode, '--steps', String(run.steps), '--warmup', String(run.warmup)];
  const output = execFileSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = output.trim().split('\n').pop()!;
  const result = JSON.parse(line) as { peer: string; steps_per_second: number };
  return { backend: result.peer, mode, stepsPerSecond: result.steps_per_second };
}

function parseOptions(): RunOptions & { modes: Mode[]; python?: string; peer?: string } {
  // `pnpm bench -- --threads 2` passes the `--` on to the script, so a leading one is dropped.
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: {
      threads: { type: 'string', default: '2' },
      steps: { type: 'string', default: '200' },
      warmup: { type: 'string', default: '20' },
      modes: { type: 'string', default: MODES.join(',') },
      spinning: { type: 'boolean', default: false },
      python: { type: 'string' },
      peer: { type: 'string' },
    },
  });
  const numbers = { threads: Number(values.threads), steps: Number(values.steps), warmup: Number(values.warmup) };
  for (const [name, value] of Object.entries(numbers)) {
    const minimum = name === 'warmup' ? 0 : 1;
    if (!Number.isInteger(value) || value < minimum) {
      throw new Error(`--${name} must be an integer of at least ${minimum}, got ${values[name as keyof typeof numbers]}.`);
    }
  }
  const modes = values.modes.split(',') as Mode[];
  for (const mode of modes) {
    if (!MODES.includes(mode)) throw new Error(`--modes must list some of ${MODES.join(', ')}, got ${JSON.stringify(mode)}.`);
  }
  if ((values.python === undefined) !== (values.peer === undefined)) throw new Error('--python and --peer must be given together.');
  return { ...numbers, allowSpinning: values.spinning, modes, python: values.python, peer: values.peer };
}

async function main(): Promise<void> {
  const options = parseOptions();

  // Other processes on the machine change these figures, so the load is printed with them.
  console.log(JSON.stringify({ cpu: cpus()[0]?.model, cores: cpus().length, loadAverage1m: loadavg()[0] }));
  const figures: Figure[] = [];
  for (const mode of options.modes) {
    const figure = await benchOnnx(mode, options);
    figures.push(figure);
    console.log(JSON.stringify({ ...figure, threads: options.threads, spinning: options.allowSpinning, batch: BATCH, steps: options.steps }));
    if (options.python !== undefined && mode !== 'equal') {
      const peerFigure = benchPeer(options.python, options.peer!, mode, options);
      figures.push(peerFigure);
      console.log(JSON.stringify({ ...peerFigure, threads: options.threads, batch: BATCH, steps: options.steps }));
    }
  }

  const find = (prefix: string, mode: Mode) => figures.find((f) => f.backend.startsWith(prefix) && f.mode === mode)?.stepsPerSecond;
  const onnxMeta = find('onnx', 'metabalance');
  const onnxEqual = find('onnx', 'equal');
  const onnxSum = find('onnx', 'sum');
  const peerMeta = find('pytorch', 'metabalance');
  if (onnxMeta !== undefined && onnxSum !== undefined) {
    console.log(`MetaBalance step cost relative to the summed-loss step: ${(onnxSum / onnxMeta).toFixed(2)}x`);
  }
  if (onnxMeta !== undefined && onnxEqual !== undefined) {
    console.log(`MetaBalance step cost relative to the equal-weighting step: ${(onnxEqual / onnxMeta).toFixed(2)}x`);
  }
  if (onnxMeta !== undefined && peerMeta !== undefined) {
    console.log(`MetaBalance steps/s relative to the PyTorch peer: ${(onnxMeta / peerMeta).toFixed(2)}x`);
  }
  console.log(JSON.stringify({ loadAverage1mAfter: loadavg()[0] }));
}

await main();
