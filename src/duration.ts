// Durations in configuration: "250ms", "30s", "10m", "2h", "7d", or a bare number of milliseconds.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(t);
  if (!m) throw new Error(`not a duration: ${text}`);
  const ms = Math.round(Number(m[1]) * UNITS[m[2]]);
  if (ms <= 0) throw new Error(`duration must be positive: ${text}`);
  return ms;
}
