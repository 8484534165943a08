// Measures NeuMF training steps per second of the tfjs adapter with the PyTorch speed peer's
// default model (10000 users, 3000 items, factor 32, 3 MLP layers, 4 tasks, batch 1024).
// Usage: node scripts/measure_step.mjs [cpu|wasm] [steps] [warmup], after building the package.
import { metaBalance } from '@mb/core';
import { neumfLayout } from '@mb/recsys';

import { createNeuMFTrainer } from '../dist/index.js';

const backend = process.argv[2] ?? 'cpu';
const steps = Number(process.argv[3] ?? 10);
const warmup = Number(process.argv[4] ?? 2);
const factor = 32;
const layers = 3;
const mlpDim = factor * 2 ** (layers - 1);
const hidden = Array.from({ length: layers }, (_, i) => mlpDim / 2 ** i);
const model = { users: 10000, items: 3000, gmfDim: factor, mlpDim, hidden, tasks: 4 };
const batchSize = 1024;

// A fixed linear congruential generator keeps runs comparable without a dependency.
let seed = 12345;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

const initialParameters = {};
for (const { name, shape } of [...neumfLayout(model).shared, ...neumfLayout(model).taskSpecific]) {
  const size = shape.reduce((a, b) => a * b, 1);
  initialParameters[name] = { shape, values: Float32Array.from({ length: size }, () => (random() - 0.5) * 0.1) };
}
const batches = Array.from({ length: 16 }, () => ({
  users: Int32Array.from({ length: batchSize }, () => Math.floor(random() * model.users)),
  items: Int32Array.from({ length: batchSize }, () => Math.floor(random() * model.items)),
  labels: Array.from({ length: model.tasks }, () => Float32Array.from({ length: batchSize }, () => (random() < 0.3 ? 1 : 0))),
}));

const trainer = await createNeuMFTrainer({
  backend,
  model,
  initialParameters,
  transform: metaBalance(),
  adam: { learningRate: 1e-3, weightDecay: 1e-7 },
});
for (let n = 0; n < warmup; n++) await trainer.step(batches[n % batches.length]);
const start = performance.now();
for (let n = 0; n < steps; n++) await trainer.step(batches[n % batches.length]);
const seconds = (performance.now() - start) / 1000;
const scoreStart = performance.now();
await trainer.scoreAllItems(Int32Array.from({ length: 100 }, (_, i) => i));
const scoreSeconds = (performance.now() - scoreStart) / 1000;
await trainer.dispose();
console.log(
  JSON.stringify({
    backend: trainer.backendName,
    batch: batchSize,
    steps,
    steps_per_second: steps / seconds,
    examples_per_second: (steps * batchSize) / seconds,
    score_100_users_seconds: scoreSeconds,
  }),
);
