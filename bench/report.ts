/** A table, printed to stdout and written to docs/benchmarks.md. */
export interface Table {
  columns: string[];
  rows: string[][];
}

/** What one scenario hands back to run.ts. */
export interface ScenarioReport {
  id: string;
  title: string;
  /** One line saying what is measured and how to read it. */
  explanation: string;
  table: Table | undefined;
  /** Why the scenario did not run, when it did not. */
  skipped?: string;
  /** Notes printed under the table. */
  notes: readonly string[];
  /** Raw numbers for docs/benchmarks.json. */
  raw: unknown;
  /** A panel of docs/benchmarks.svg. */
  chart?: ChartPanel;
}

/** One bar chart: a value per server. */
export interface ChartPanel {
  title: string;
  unit: string;
  /** Whether a smaller value is better (shown in the panel's title). */
  lowerIsBetter: boolean;
  bars: { label: string; value: number }[];
}

/** Milliseconds with precision that suits their size. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value < 10 ? value.toFixed(2) : value.toFixed(0)}×` : 'n/a';
}

/** A GitHub-flavoured Markdown table with padded columns, readable as plain text too. */
export function renderTable(table: Table): string {
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(table.columns), rule, ...table.rows.map(line)].join('\n');
}

/** The scenario as Markdown: heading, explanation, table (or why it was skipped), notes. */
export function renderScenario(report: ScenarioReport): string {
  const body = report.table ? renderTable(report.table) : `_Skipped: ${report.skipped ?? 'no result'}_`;
  const notes = report.notes.map((note) => `- ${note}`);
  return [`## ${report.title}`, '', report.explanation, '', body, ...(notes.length ? ['', ...notes] : [])].join('\n');
}
