// Pure helpers of the benchmark: percentiles, Prometheus text sums, statement classes, and the
// ratio table it prints.

/** Nearest-rank percentile (p in 0..100) of the values; undefined when there are none. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function mean(values: number[]): number | undefined {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : undefined;
}

/**
 * Sum of every sample of `metric` in Prometheus text whose labels include all of `labels`
 * (e.g. the Temporal server's `service_requests{operation="RespondWorkflowTaskCompleted"}`).
 */
export function sumMetric(text: string, metric: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/);
    if (!m || m[1] !== metric) continue;
    const got = new Map([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got.get(k) === v)) sum += Number(m[4]);
  }
  return sum;
}

/** A statement that writes rows (a data-modifying CTE counts; SELECT … FOR UPDATE does not). */
export function isWriteStatement(query: string): boolean {
  return /\b(insert\s+into|update\s+("?[\w.]+"?)(\s+(as\s+)?\w+)?\s+set|delete\s+from|merge\s+into)\b/i.test(query);
}

/** A figure for the table: 3 significant digits, no exponent, thousands separated. */
export function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (n === 0) return '0';
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** value ÷ floor as "0.72×"; a dash when either is missing or the floor is zero. */
export function ratio(value: number | undefined, floor: number | undefined): string {
  if (value === undefined || floor === undefined || !Number.isFinite(value) || !floor) return '—';
  return `${value / floor >= 10 ? (value / floor).toFixed(0) : (value / floor).toFixed(2)}×`;
}

export interface FigureRow {
  figure: string;
  /** The engine's value under each configuration, in the order of `RatioTable.engines`. */
  engine: (number | undefined)[];
  sameSteps?: number;
  minimal?: number;
}

export interface RatioTable {
  title: string;
  /** Column names of the engine's configurations, e.g. "engine, 1 dealer". */
  engines: string[];
  rows: FigureRow[];
}

/** A markdown table: the floors, then each engine configuration with its ratio to each floor. */
export function formatRatioTable(t: RatioTable): string {
  const head = ['figure', 'same-steps floor', 'minimal floor', ...t.engines.flatMap((e) => [e, '÷ same-steps', '÷ minimal'])];
  const lines = [`### ${t.title}`, '', `| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of t.rows) {
    const cells = [r.figure, fmt(r.sameSteps), fmt(r.minimal), ...r.engine.flatMap((v) => [fmt(v), ratio(v, r.sameSteps), ratio(v, r.minimal)])];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A plain markdown table. */
export function formatTable(title: string, head: string[], rows: (string | number | undefined)[][]): string {
  const cell = (v: string | number | undefined) => (typeof v === 'string' ? v : fmt(v));
  return [`### ${title}`, '', `| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}
