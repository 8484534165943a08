/** One line of a chart. Points with a `null` or non-finite y break the line. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number | null])[];
  readonly color: string;
  readonly dashed?: boolean;
  /** Line width in pixels. Default 1.6. */
  readonly strokeWidth?: number;
  /** Line opacity from 0 to 1. Default 1. */
  readonly opacity?: number;
  /** Draws a dot at every point, for series with few points such as one per epoch. */
  readonly markers?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Logarithmic y axis; points with y <= 0 are then left out. Default false. */
  readonly logY?: boolean;
  /** Ticks only at integer x values, for counts such as epochs. Default false. */
  readonly integerX?: boolean;
  /** Outer size in pixels. Defaults 640 by 320. */
  readonly width?: number;
  readonly height?: number;
}

/** Categorical colours (Tableau 10), readable on white. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Escapes text for use in XML and HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** True when a series has a point that a chart draws: a finite x and y, and y > 0 on a log axis. */
export function hasDrawablePoint(series: ChartSeries, logY: boolean): boolean {
  return series.points.some(([x, y]) => Number.isFinite(x) && y !== null && Number.isFinite(y) && (!logY || y > 0));
}

/**
 * Renders a line chart as an inline SVG element with axes, ticks, a title and a legend. It
 * needs no script or font file: text uses the generic sans-serif family. Series are drawn in
 * order, so later ones lie on top. The legend lists only the series with a drawable point.
 */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const legendSeries = options.series.filter((series) => hasDrawablePoint(series, options.logY ?? false));
  const legendRows = Math.ceil(legendSeries.length / legendColumns(width));
  const height = (options.height ?? 320) + legendRows * 16;
  const logY = options.logY ?? false;
  const margin = { left: 64, right: 16, top: 28, bottom: 40 + legendRows * 16 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;

  const usable = (y: number | null): y is number => y !== null && Number.isFinite(y) && (!logY || y > 0);
  const xs = options.series.flatMap((series) => series.points.map(([x]) => x)).filter(Number.isFinite);
  const ys = options.series.flatMap((series) => series.points.map(([, y]) => y)).filter(usable);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<title>${escapeXml(options.title)}</title>`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${width / 2}" y="17" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`);

  if (xs.length === 0 || ys.length === 0) {
    parts.push(`<text x="${width / 2}" y="${margin.top + plotHeight / 2}" text-anchor="middle" fill="#666666">no data to plot</text>`);
    parts.push('</svg>');
    return parts.join('');
  }

  const xRange = paddedRange(Math.min(...xs), Math.max(...xs), false);
  const yRange = paddedRange(Math.min(...ys), Math.max(...ys), logY);
  const toX = (x: number): number => margin.left + ((x - xRange[0]) / (xRange[1] - xRange[0])) * plotWidth;
  const toY = (y: number): number => {
    const [low, high] = logY ? [Math.log10(yRange[0]), Math.log10(yRange[1])] : yRange;
    const value = logY ? Math.log10(y) : y;
    return margin.top + plotHeight - ((value - low) / (high - low)) * plotHeight;
  };

  // Grid lines and tick labels.
  for (const tick of logY ? logTicks(yRange[0], yRange[1]) : linearTicks(yRange[0], yRange[1])) {
    const y = round(toY(tick));
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y + 4}" text-anchor="end">${escapeXml(formatTick(tick))}</text>`);
  }
  const xTicks = linearTicks(xRange[0], xRange[1]).filter((tick) => options.integerX !== true || Number.isInteger(tick));
  for (const tick of xTicks) {
    const x = round(toX(tick));
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotHeight + 14}" text-anchor="middle">${escapeXml(formatTick(tick))}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999999"/>`);
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${margin.top + plotHeight + 30}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  const yLabelY = margin.top + plotHeight / 2;
  parts.push(`<text x="14" y="${yLabelY}" text-anchor="middle" transform="rotate(-90 14 ${yLabelY})">${escapeXml(options.yLabel)}${logY ? ' (log scale)' : ''}</text>`);

  for (const series of options.series) {
    const path = linePath(series.points, usable, toX, toY);
    if (path !== '') {
      parts.push(`<path d="${path}" fill="none" stroke="${series.color}"${strokeStyle(series)}><title>${escapeXml(series.name)}</title></path>`);
    }
    if (series.markers === true) {
      for (const [x, y] of series.points) {
        if (usable(y)) parts.push(`<circle cx="${round(toX(x))}" cy="${round(toY(y))}" r="2.8" fill="${series.color}"/>`);
      }
    }
  }

  const columns = legendColumns(width);
  const columnWidth = (width - margin.left) / columns;
  legendSeries.forEach((series, n) => {
    const x = margin.left + (n % columns) * columnWidth;
    const y = margin.top + plotHeight + 46 + Math.floor(n / columns) * 16;
    parts.push(`<line x1="${x}" x2="${x + 22}" y1="${y - 4}" y2="${y - 4}" stroke="${series.color}"${strokeStyle(series)}/>`);
    parts.push(`<text x="${x + 28}" y="${y}">${escapeXml(series.name)}</text>`);
  });

  parts.push('</svg>');
  return parts.join('');
}

/** Formats the stroke width, opacity and dash attributes of a series, for its line and its legend entry. */
function strokeStyle(series: ChartSeries): string {
  const dash = series.dashed === true ? ' stroke-dasharray="5 3"' : '';
  const opacity = series.opacity === undefined ? '' : ` stroke-opacity="${series.opacity}"`;
  return ` stroke-width="${series.strokeWidth ?? 1.6}"${opacity}${dash}`;
}

function legendColumns(width: number): number {
  return Math.max(1, Math.floor(width / 200));
}

function linePath(
  points: readonly (readonly [number, number | null])[],
  usable: (y: number | null) => y is number,
  toX: (x: number) => number,
  toY: (y: number) => number,
): string {
  const commands: string[] = [];
  let drawing = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !usable(y)) {
      drawing = false;
      continue;
    }
    commands.push(`${drawing ? 'L' : 'M'}${round(toX(x))} ${round(toY(y))}`);
    drawing = true;
  }
  return commands.join('');
}

/** Widens a degenerate range so that the axis has a span, in log space for a log axis. */
function paddedRange(low: number, high: number, log: boolean): [number, number] {
  if (high > low) return [low, high];
  if (log) return [low / 2, high * 2];
  const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
  return [low - pad, high + pad];
}

/** About five round tick values inside [low, high]. */
export function linearTicks(low: number, high: number): number[] {
  const rough = (high - low) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) {
    ticks.push(Number(tick.toPrecision(12)));
  }
  return ticks;
}

/** Powers of ten inside [low, high], with 2 and 5 multiples added when the range spans under two decades. */
export function logTicks(low: number, high: number): number[] {
  const first = Math.floor(Math.log10(low));
  const last = Math.ceil(Math.log10(high));
  const factors = Math.log10(high / low) <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let exponent = first; exponent <= last; exponent++) {
    for (const factor of factors) {
      const tick = Number((factor * 10 ** exponent).toPrecision(12));
      if (tick >= low * (1 - 1e-9) && tick <= high * (1 + 1e-9)) ticks.push(tick);
    }
  }
  return ticks;
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(0);
  return String(Number(value.toPrecision(4)));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
