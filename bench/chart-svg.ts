// A small SVG generator for docs/benchmarks.svg: one horizontal bar panel per scenario that has a
// chart, stacked vertically. No chart library: rectangles and text are all it needs.
import type { ChartPanel, ScenarioReport } from './report.ts';

const WIDTH = 760;
const LABEL_WIDTH = 200;
const VALUE_WIDTH = 90;
const BAR_HEIGHT = 18;
const BAR_GAP = 6;
const TITLE_HEIGHT = 28;
const PANEL_GAP = 18;
const CHART_TITLE = 'Weft benchmarks: Weft, the raw ws relay and the peers, one panel per scenario';
const COLORS: Record<string, string> = {
  'raw ws relay': '#9aa0a6',
  Weft: '#1a73e8',
};
const PEER_COLOR = '#f29900';

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  const shown =
    value >= 1000 ? Math.round(value).toLocaleString('en') : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  return `${shown} ${unit}`;
}

function panelHeight(panel: ChartPanel): number {
  return TITLE_HEIGHT + panel.bars.length * (BAR_HEIGHT + BAR_GAP);
}

function renderPanel(panel: ChartPanel, top: number): string {
  const finite = panel.bars.map((bar) => bar.value).filter((value) => Number.isFinite(value) && value > 0);
  const max = Math.max(...finite, Number.MIN_VALUE);
  const span = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 10;
  const hint = panel.lowerIsBetter ? 'lower is better' : 'higher is better';
  const parts = [
    `<text x="0" y="${top + 18}" class="title">${escapeXml(panel.title)} <tspan class="hint">(${hint})</tspan></text>`,
  ];
  panel.bars.forEach((bar, i) => {
    const y = top + TITLE_HEIGHT + i * (BAR_HEIGHT + BAR_GAP);
    const width = Number.isFinite(bar.value) && bar.value > 0 ? Math.max(1, (bar.value / max) * span) : 0;
    const color = COLORS[bar.label] ?? PEER_COLOR;
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + 13}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}"/>`,
      `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 13}">${escapeXml(formatValue(bar.value, panel.unit))}</text>`,
    );
  });
  return parts.join('\n');
}

/** The SVG document for every report that carries a chart panel. */
export function renderCharts(reports: readonly ScenarioReport[]): string {
  const panels = reports.flatMap((report) => (report.chart ? [report.chart] : []));
  let top = 0;
  const body: string[] = [];
  for (const panel of panels) {
    body.push(renderPanel(panel, top));
    top += panelHeight(panel) + PANEL_GAP;
  }
  const height = Math.max(top, 40);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12" role="img" aria-labelledby="chart-title">`,
    `<title id="chart-title">${CHART_TITLE}</title>`,
    '<style>.title{font-size:14px;font-weight:bold}.hint{font-weight:normal;fill:#5f6368}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    panels.length === 0 ? '<text x="10" y="24">No charted scenario in this run.</text>' : body.join('\n'),
    '</svg>',
    '',
  ].join('\n');
}
