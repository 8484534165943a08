import { metricLabels } from '../results.js';
import type { BenchReport, RunResult } from '../results.js';
import { PALETTE, escapeXml, hasDrawablePoint, lineChart } from './svg_chart.js';
import type { ChartSeries } from './svg_chart.js';
import { formatDifference, formatMeanAndDeviation } from './table.js';

/** Points per loss curve after averaging consecutive steps, which keeps the file small. */
const MAX_CURVE_POINTS = 240;

const STYLE = `
body { font-family: sans-serif; margin: 24px; color: #222222; max-width: 1400px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #dddddd; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #dddddd; padding: 4px 8px; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.warning { background: #fff3cd; border: 1px solid #e0b000; padding: 8px 12px; margin: 8px 0; }
.failed { background: #fde2e1; border: 1px solid #d9534f; padding: 8px 12px; margin: 8px 0; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.note { color: #555555; font-size: 13px; }
`;

/**
 * Renders the report as one self-contained HTML file: inline CSS and inline SVG charts, no
 * scripts, images, fonts or links to other files.
 */
export function renderHtmlReport(report: BenchReport): string {
  const sections = [
    overviewSection(report),
    resultsSection(report),
    runsSection(report),
    crossCheckSection(report),
    lossSection(report),
    validationSection(report),
    gradientSection(report),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>MetaBalance bench: ${escapeXml(report.dataset.name)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...sections,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function overviewSection(report: BenchReport): string {
  const { dataset, environment } = report;
  const behaviours = dataset.behaviors.map((behavior, b) => `${behavior} ${dataset.trainPairs[b]}`).join(', ');
  const rows: [string, string][] = [
    ['Started', `${report.startedAt} (${report.durationSeconds.toFixed(1)} s in total)`],
    ['Dataset', `${dataset.name}: ${dataset.users} users, ${dataset.items} items`],
    ['Source', dataset.source],
    ['Training pairs', `${behaviours} (target behaviour first)`],
    ['Held-out target pairs', `validation ${dataset.validationPairs}, test ${dataset.testPairs}`],
    ['Examples per epoch', String(dataset.examplesPerEpoch)],
    ['Model', formatModel(report.model)],
    ['Machine', `${environment.cpus} × ${environment.cpuModel}, ${environment.platform} ${environment.arch}, Node ${environment.node}`],
  ];
  const config = Object.entries(report.config)
    .map(([key, value]) => `<tr><th>${escapeXml(key)}</th><td>${escapeXml(JSON.stringify(value))}</td></tr>`)
    .join('');
  const failed = report.runs.filter((run) => run.status === 'failed');
  const failures =
    failed.length === 0
      ? ''
      : `<div class="failed"><strong>${failed.length} run(s) failed.</strong><ul>${failed
          .map((run) => `<li>${escapeXml(`${run.backend} ${run.method} seed ${run.seed}: ${run.error ?? 'unknown error'}`)}</li>`)
          .join('')}</ul></div>`;
  return [
    '<h1>MetaBalance bench report</h1>',
    failures,
    `<table>${rows.map(([key, value]) => `<tr><th>${key}</th><td>${escapeXml(value)}</td></tr>`).join('')}</table>`,
    `<details><summary>Configuration</summary><table>${config}</table></details>`,
  ].join('\n');
}

/** Formats the model sizes as `users 1000, items 500, gmfDim 8, mlpDim 32, hidden 32-16-8, tasks 4`. */
export function formatModel(model: Readonly<Record<string, unknown>>): string {
  return Object.entries(model)
    .map(([key, value]) => `${key} ${Array.isArray(value) ? value.join('-') : typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(', ');
}

function resultsSection(report: BenchReport): string {
  const labels = metricLabels();
  const target = escapeXml(report.dataset.behaviors[0]);
  const tables = (['test', 'validation'] as const).map((split) => {
    const header = `<tr><th>backend</th><th>method</th><th>runs</th>${labels.map((label) => `<th>${label}</th>`).join('')}</tr>`;
    const rows = report.summary
      .map((row) => {
        const runs = row.failedSeeds.length === 0 ? String(row.seeds.length) : `${row.seeds.length} (${row.failedSeeds.length} failed)`;
        const cells = labels.map((label) => `<td class="number">${escapeXml(formatMeanAndDeviation(row.metrics[split][label]))}</td>`).join('');
        return `<tr><td>${escapeXml(row.backend)}</td><td>${escapeXml(row.method)}</td><td class="number">${runs}</td>${cells}</tr>`;
      })
      .join('');
    return `<h3>${split === 'test' ? 'Test' : 'Validation'} split</h3><table>${header}${rows}</table>`;
  });
  return [
    '<h2>Ranking of the target behaviour</h2>',
    `<p class="note">Full ranking over all items for the target behaviour <strong>${target}</strong>, excluding each user's training purchases; mean ± sample standard deviation over seeds (the mean alone for one seed), after the last epoch.</p>`,
    ...tables,
  ].join('\n');
}

function runsSection(report: BenchReport): string {
  const header =
    '<tr><th>backend</th><th>method</th><th>seed</th><th>status</th><th>steps</th><th>skipped steps</th>' +
    '<th>training s</th><th>evaluation s</th><th>examples/s</th><th>test NDCG@10</th></tr>';
  const rows = report.runs
    .map((run) => {
      const steps = run.epochs.reduce((total, epoch) => total + epoch.steps, 0);
      const skipped = run.epochs.reduce((total, epoch) => total + epoch.skippedSteps, 0);
      const examples = run.epochs.reduce((total, epoch) => total + epoch.examples, 0);
      const speed = run.trainSeconds > 0 ? Math.round(examples / run.trainSeconds).toLocaleString('en-US') : 'n/a';
      const status = run.status === 'completed' ? 'completed' : `failed: ${run.error ?? 'unknown error'}`;
      const ndcg = run.test === undefined ? 'n/a' : run.test.ndcg['10'].toFixed(4);
      const cells = [steps, skipped, run.trainSeconds.toFixed(1), run.evaluationSeconds.toFixed(1), speed, ndcg].map((cell) => `<td class="number">${cell}</td>`).join('');
      return `<tr><td>${escapeXml(run.backend)}</td><td>${escapeXml(run.method)}</td><td class="number">${run.seed}</td><td>${escapeXml(status)}</td>${cells}</tr>`;
    })
    .join('');
  return [
    '<h2>Runs</h2>',
    '<p class="note">Examples per second count training steps only; skipped steps had a non-finite gradient and left the parameters unchanged.</p>',
    `<table>${header}${rows}</table>`,
  ].join('\n');
}

function crossCheckSection(report: BenchReport): string {
  const checks = report.crossChecks;
  if (checks.length === 0) {
    return '<h2>Cross-backend check</h2><p class="note">Only one backend ran, so there is nothing to compare.</p>';
  }
  const exceeded = checks.filter((check) => check.exceedsTolerance);
  const warning =
    exceeded.length === 0
      ? ''
      : `<div class="warning"><strong>Warning:</strong> ${exceeded
          .map((check) => escapeXml(`${check.method} seed ${check.seed}: ${check.backends.join(' and ')} differ by up to ${formatDifference(check.maxRelativeDifference)} at step ${check.maxStep}`))
          .join('; ')}, above the tolerance ${checks[0].tolerance}.</div>`;
  const rows = checks
    .map(
      (check) =>
        `<tr><td>${escapeXml(check.method)}</td><td class="number">${check.seed}</td><td>${escapeXml(`${check.backends.slice(1).join(', ')} vs ${check.backends[0]}`)}</td>` +
        `<td class="number">${formatDifference(check.maxRelativeDifference)}</td><td class="number">${check.maxStep}</td><td class="number">${check.firstStepAboveTolerance === 0 ? '-' : check.firstStepAboveTolerance}</td><td>${check.exceedsTolerance ? 'above tolerance' : 'ok'}</td></tr>`,
    )
    .join('');
  const series: ChartSeries[] = checks.map((check, n) => ({
    name: `${check.method} seed ${check.seed}`,
    points: bucketMaxima(check.perStep),
    color: PALETTE[n % PALETTE.length],
  }));
  return [
    '<h2>Cross-backend check</h2>',
    `<p class="note">Each backend trained the same seed from the same initial parameters on the same batches. Per step, the largest relative difference <code>|loss_b − loss_ref| / |loss_ref|</code> over tasks and backends, the first backend being the reference. Tolerance ${checks[0].tolerance}. Two float32 implementations round differently, and training amplifies the difference step by step, so long runs drift apart even when every step agrees; the first step above the tolerance shows how long the backends agreed.</p>`,
    warning,
    `<table><tr><th>method</th><th>seed</th><th>backends</th><th>max relative loss difference</th><th>at step</th><th>first step above tolerance</th><th>status</th></tr>${rows}</table>`,
    lineChart({ title: 'Relative loss difference between backends (maximum per group of steps)', xLabel: 'step', yLabel: 'relative difference', series, logY: true, width: 900 }),
  ].join('\n');
}

function lossSection(report: BenchReport): string {
  const target = report.dataset.behaviors[0];
  const charts = backendsOf(report.runs).flatMap((backend) => {
    const byMethod = methodsOf(report.runs).map((method, n) => ({
      method,
      color: PALETTE[n % PALETTE.length],
      runs: report.runs.filter((run) => run.backend === backend && run.method === method && run.stepLosses.length > 0),
    }));
    const targetSeries = byMethod.map(({ method, color, runs }) => ({ name: method, color, points: bucketMeans(meanOverRuns(runs, (losses) => losses[0])) }));
    const totalSeries = byMethod.map(({ method, color, runs }) => ({
      name: method,
      color,
      points: bucketMeans(meanOverRuns(runs, (losses) => losses.reduce((a, b) => a + b, 0))),
    }));
    return [
      lineChart({ title: `${backend}: training loss of ${target} (target)`, xLabel: 'step', yLabel: 'binary cross-entropy', series: targetSeries }),
      lineChart({ title: `${backend}: sum of all task losses`, xLabel: 'step', yLabel: 'binary cross-entropy', series: totalSeries }),
    ];
  });
  return [
    '<h2>Training loss</h2>',
    `<p class="note">Batch losses averaged over consecutive steps (at most ${MAX_CURVE_POINTS} points per curve) and over seeds.</p>`,
    `<div class="charts">${charts.join('\n')}</div>`,
  ].join('\n');
}

function validationSection(report: BenchReport): string {
  const charts = backendsOf(report.runs).map((backend) => {
    const series = methodsOf(report.runs).map((method, n) => {
      const runs = report.runs.filter((run) => run.backend === backend && run.method === method);
      const epochs = Math.max(0, ...runs.map((run) => run.epochs.length));
      const initial = runs.flatMap((run) => (run.initialValidation === undefined ? [] : [run.initialValidation.ndcg['10']]));
      const points: [number, number | null][] = initial.length === 0 ? [] : [[0, initial.reduce((a, b) => a + b, 0) / initial.length]];
      for (let e = 0; e < epochs; e++) {
        const values = runs.filter((run) => run.epochs.length > e).map((run) => run.epochs[e].validation.ndcg['10']);
        points.push([e + 1, values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length]);
      }
      return { name: method, color: PALETTE[n % PALETTE.length], points, markers: true };
    });
    return lineChart({ title: `${backend}: validation NDCG@10 of the target after each epoch`, xLabel: 'epoch', yLabel: 'NDCG@10', series, integerX: true });
  });
  return ['<h2>Target-task NDCG@10 per epoch</h2>', '<p class="note">Validation split, mean over seeds; epoch 0 is the initial parameters.</p>', `<div class="charts">${charts.join('\n')}</div>`].join('\n');
}

function gradientSection(report: BenchReport): string {
  const backend = backendsOf(report.runs)[0];
  if (backend === undefined) return '';
  const auxiliary = report.dataset.behaviors.slice(1);
  const blocks = methodsOf(report.runs).map((method) => {
    const run = report.runs.find((candidate) => candidate.backend === backend && candidate.method === method && candidate.gradientSamples.length > 0);
    if (run === undefined) return `<h3>${escapeXml(method)}</h3><p class="note">No gradient samples were recorded.</p>`;
    const undrawn = new Set<string>();
    const charts = report.sharedTensors.map((tensor, j) => {
      // Each "after" line is wide and pale and drawn first, and the thin dashed "before" line lies
      // on top, so both stay visible where they coincide (weights of 1, as with `equal`).
      const series: ChartSeries[] = auxiliary.flatMap((behavior, a) => [
        {
          name: `${behavior} after`,
          color: PALETTE[a % PALETTE.length],
          strokeWidth: 4,
          opacity: 0.45,
          points: run.gradientSamples.map((sample) => [sample.step, sample.after[a][j]] as const),
        },
        { name: `${behavior} before`, color: PALETTE[a % PALETTE.length], dashed: true, points: run.gradientSamples.map((sample) => [sample.step, sample.before[a][j]] as const) },
      ]);
      for (const line of series) if (!hasDrawablePoint(line, true)) undrawn.add(line.name);
      return lineChart({ title: tensor, xLabel: 'step', yLabel: 'auxiliary / target norm', series, logY: true, width: 420, height: 240 });
    });
    const note =
      undrawn.size === 0
        ? ''
        : `<p class="note">Not drawn in at least one chart, because every sample is 0 or missing there: ${escapeXml([...undrawn].join(', '))}.</p>`;
    return `<h3>${escapeXml(method)} (${escapeXml(backend)}, seed ${run.seed})</h3>${note}<div class="charts">${charts.join('\n')}</div>`;
  });
  return [
    '<h2>Gradient magnitudes of auxiliary tasks relative to the target</h2>',
    `<p class="note">For every shared tensor P and auxiliary task k: thin dashed line, <code>‖g_k(P)‖ / ‖g_0(P)‖</code> before balancing; wide pale line, <code>w_k(P) ‖g_k(P)‖ / ‖g_0(P)‖</code> after, where w_k(P) is the factor the method applied. Where the method leaves a gradient unchanged, the dashed line runs along the middle of the wide one. Sampled every ${escapeXml(String(report.config.logEvery))} steps. A ratio of 0 (the auxiliary gradients that <code>single</code> drops) has no point on the log scale, so such lines are left out of the chart and its legend.</p>`,
    ...blocks,
  ].join('\n');
}

function backendsOf(runs: readonly RunResult[]): string[] {
  return [...new Set(runs.map((run) => run.backend))];
}

function methodsOf(runs: readonly RunResult[]): string[] {
  return [...new Set(runs.map((run) => run.method))];
}

/** Per step, the mean of `select(losses)` over the runs that reached that step. */
function meanOverRuns(runs: readonly RunResult[], select: (losses: readonly number[]) => number): number[] {
  const steps = Math.max(0, ...runs.map((run) => run.stepLosses.length));
  const means: number[] = [];
  for (let step = 0; step < steps; step++) {
    const values = runs.filter((run) => run.stepLosses.length > step).map((run) => select(run.stepLosses[step]));
    means.push(values.reduce((a, b) => a + b, 0) / values.length);
  }
  return means;
}

/** Averages consecutive values into at most `MAX_CURVE_POINTS` points, x being the 1-based middle step. */
export function bucketMeans(values: readonly number[]): [number, number | null][] {
  return buckets(values, (bucket) => bucket.reduce((a, b) => a + b, 0) / bucket.length);
}

/** Like `bucketMeans` but keeps each group's maximum, so a spike in a difference stays visible. */
export function bucketMaxima(values: readonly number[]): [number, number | null][] {
  return buckets(values, (bucket) => (bucket.some(Number.isNaN) ? Number.NaN : Math.max(...bucket)));
}

function buckets(values: readonly number[], reduce: (bucket: number[]) => number): [number, number | null][] {
  const size = Math.max(1, Math.ceil(values.length / MAX_CURVE_POINTS));
  const points: [number, number | null][] = [];
  for (let start = 0; start < values.length; start += size) {
    const bucket = values.slice(start, start + size);
    const value = reduce(bucket);
    points.push([start + (bucket.length + 1) / 2, Number.isFinite(value) ? value : null]);
  }
  return points;
}

