import { describe, expect, it } from 'vitest';

import { sampleReport } from '../testing/sample_report.js';
import { bucketMaxima, bucketMeans, formatModel, renderHtmlReport } from './html.js';
import { escapeXml, lineChart, linearTicks, logTicks } from './svg_chart.js';

const VOID_ELEMENTS = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);

/** Checks that every opened element is closed in order; returns the first problem or null. */
function checkNesting(html: string): string | null {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(\/?)>/g;
  for (const match of html.replace(/<!DOCTYPE[^>]*>/i, '').matchAll(tag)) {
    const [, closing, rawName, selfClosing] = match;
    const name = rawName.toLowerCase();
    if (selfClosing === '/' || VOID_ELEMENTS.has(name)) continue;
    if (closing === '') {
      stack.push(name);
    } else {
      const open = stack.pop();
      if (open !== name) return `</${name}> closes <${open}> at offset ${match.index}`;
    }
  }
  return stack.length === 0 ? null : `unclosed <${stack.join('>, <')}>`;
}

describe('renderHtmlReport', () => {
  const crossCheck = {
    method: 'equal',
    seed: 1,
    backends: ['tfjs-cpu', 'onnx-cpu'],
    perStep: [0, 0.02, 0.001, 0.0001],
    maxRelativeDifference: 0.02,
    maxStep: 2,
    firstStepAboveTolerance: 2,
    tolerance: 1e-3,
    exceedsTolerance: true,
  };
  const html = renderHtmlReport(sampleReport([crossCheck]));

  it('is a complete HTML document', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
  });

  it('has balanced elements', () => {
    expect(checkNesting(html)).toBeNull();
  });

  it('loads nothing from outside the file', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/\b(src|href)=/i);
    // The SVG namespace is an identifier, not a fetched resource; no other URL may appear.
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:\/\//);
  });

  it('contains the charts', () => {
    const svgCount = html.match(/<svg /g)?.length ?? 0;
    // One cross-check chart, two loss charts and one NDCG chart per backend, and one chart per
    // shared tensor for each method.
    expect(svgCount).toBe(1 + 2 * 2 + 2 + 2 * 2);
    expect(html).toContain('tfjs-cpu: training loss of buy (target)');
    expect(html).toContain('validation NDCG@10 of the target after each epoch');
    expect(html).toContain('<title>user_gmf.weight</title>');
  });

  it('escapes text from the data', () => {
    expect(html).toContain('tiny &lt;synthetic&gt;');
    expect(html).toContain('out of &lt;memory&gt; &amp; more');
    expect(html).not.toContain('<synthetic>');
  });

  it('lists every run with its speed', () => {
    // Three backend and method groups in each of the two result tables, then six runs.
    expect(html.match(/<tr><td>(tfjs|onnx)-cpu<\/td>/g)).toHaveLength(3 * 2 + 6);
    expect(html).toContain('<td class="number">200</td><td class="number">0.3000</td>');
  });

  it('shows the cross-check warning and the failed run', () => {
    expect(html).toContain('class="warning"');
    expect(html).toContain('equal seed 1: tfjs-cpu and onnx-cpu differ by up to 2.00e-2 at step 2');
    expect(html).toContain('1 run(s) failed.');
  });

  it('formats the model sizes as text', () => {
    expect(html).toContain('<tr><th>Model</th><td>users 50, items 40, gmfDim 2, mlpDim 4, hidden 4-2, tasks 2</td></tr>');
    expect(formatModel({ users: 1000, items: 500, gmfDim: 8, mlpDim: 32, hidden: [32, 16, 8], tasks: 4 })).toBe(
      'users 1000, items 500, gmfDim 8, mlpDim 32, hidden 32-16-8, tasks 4',
    );
  });

  it('draws the before line on top of the after line', () => {
    const after = html.indexOf('<title>click after</title>');
    const before = html.indexOf('<title>click before</title>');
    expect(after).toBeGreaterThan(0);
    expect(before).toBeGreaterThan(after);
    expect(html).toMatch(/stroke-width="4" stroke-opacity="0.45"><title>click after<\/title>/);
    expect(html).toMatch(/stroke-dasharray="5 3"><title>click before<\/title>/);
  });

  it('leaves undrawn after lines out of the legend', () => {
    const report = sampleReport();
    const dropped = report.runs.map((run) => ({
      ...run,
      method: 'single',
      gradientSamples: run.gradientSamples.map((sample) => ({ ...sample, after: sample.after.map((row) => row.map(() => 0)) })),
    }));
    const page = renderHtmlReport({ ...report, runs: dropped, summary: [] });
    const gradients = page.slice(page.indexOf('<h2>Gradient magnitudes'));
    expect(gradients).toContain('<title>click before</title>');
    expect(gradients).toMatch(/>click before<\/text>/);
    expect(gradients).not.toContain('click after</');
    expect(gradients).toContain('because every sample is 0 or missing there: click after.');
  });

  it('states that there is nothing to compare for one backend', () => {
    const single = renderHtmlReport({ ...sampleReport(), crossChecks: [] });
    expect(single).toContain('Only one backend ran');
    expect(single).not.toContain('class="warning"');
  });
});

describe('lineChart', () => {
  it('breaks the line at missing points', () => {
    const svg = lineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [{ name: 's', color: '#000000', points: [[1, 1], [2, 2], [3, null], [4, 3], [5, 4]] }],
    });
    const path = /<path d="([^"]+)"/.exec(svg)![1];
    expect(path.match(/M/g)).toHaveLength(2);
    expect(path.match(/L/g)).toHaveLength(2);
  });

  it('leaves out non-positive values on a log axis', () => {
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', logY: true, series: [{ name: 's', color: '#000000', points: [[1, 0], [2, 1], [3, 10]] }] });
    const path = /<path d="([^"]+)"/.exec(svg)![1];
    expect(path.match(/[ML]/g)).toHaveLength(2);
  });

  it('lists only drawn series in the legend', () => {
    const svg = lineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      logY: true,
      series: [
        { name: 'zeros', color: '#000000', points: [[1, 0], [2, 0]] },
        { name: 'ones', color: '#000000', points: [[1, 1], [2, 1]] },
      ],
    });
    expect(svg).toContain('>ones</text>');
    expect(svg).not.toContain('zeros');
  });

  it('says when there is nothing to plot', () => {
    expect(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).toContain('no data to plot');
  });
});

describe('chart helpers', () => {
  it('picks round linear ticks', () => {
    expect(linearTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(3, 97)).toEqual([20, 40, 60, 80]);
  });

  it('picks decades and their 2 and 5 multiples for log ticks', () => {
    expect(logTicks(0.5, 20)).toEqual([0.5, 1, 2, 5, 10, 20]);
    expect(logTicks(1e-6, 1)).toEqual([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1]);
  });

  it('escapes markup characters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('averages and keeps maxima of consecutive steps', () => {
    const values = Array.from({ length: 480 }, (_, n) => n);
    const means = bucketMeans(values);
    expect(means).toHaveLength(240);
    expect(means[0]).toEqual([1.5, 0.5]);
    expect(bucketMaxima(values)[0]).toEqual([1.5, 1]);
    expect(bucketMaxima([1, Number.NaN])[1][1]).toBeNull();
  });
});
