// Medians and ranges, the only statistics the table quotes.

export function median(values) {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarise(values) {
  if (values.length === 0) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), count: values.length };
}

/** 0.153 → "0.15 s", 12.34 → "12.3 s", 339.2 → "339 s": three significant digits at most. */
export function formatSeconds(s) {
  if (s === undefined) return '—';
  if (s >= 100) return `${s.toFixed(0)} s`;
  if (s >= 10) return `${s.toFixed(1)} s`;
  return `${s.toFixed(2)} s`;
}

export function formatRatio(numerator, denominator) {
  if (numerator === undefined || denominator === undefined || denominator <= 0) return '—';
  const r = numerator / denominator;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}x`;
}

export function formatMegabytes(bytes) {
  return bytes === undefined ? '—' : `${(bytes / 1048576).toFixed(0)} MB`;
}
