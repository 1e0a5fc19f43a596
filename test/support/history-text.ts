// Every string and byte payload (decoded as UTF-8) inside a Temporal history, as one text to
// search: payload data is JSON bytes, so a credential that reached any input, result, failure,
// memo or search attribute shows up here as written.
export function historyText(history: unknown): string {
  const texts: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (v instanceof Uint8Array) texts.push(Buffer.from(v).toString('utf8'));
    else if (typeof v === 'string') texts.push(v);
    else if (v && typeof v === 'object' && depth < 40) for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(history, 0);
  return texts.join('\n');
}
