// A small reader of the Prometheus text format for tests: samples with their labels and values,
// the families declared by # TYPE lines, and instant-vector selectors (`name{label="value",...}`,
// equality matchers only) the way a Grafana panel's query picks series.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  /** The value as written (`1`, `0.5`, `NaN`, `+Inf` ...). */
  raw: string;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** family name -> type, from # TYPE lines. */
  types: Map<string, string>;
  lines: string[];
}

function parseValue(raw: string): number {
  if (raw === 'NaN') return Number.NaN;
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v)) throw new Error(`not a Prometheus sample value: ${JSON.stringify(raw)}`);
  return v;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0 || text[eq + 1] !== '"') throw new Error(`bad labels in ${line}`);
    const name = text.slice(i, eq);
    let j = eq + 2;
    let value = '';
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\') {
        const c = text[j + 1];
        value += c === 'n' ? '\n' : c;
        j += 2;
      } else {
        value += text[j++];
      }
    }
    if (text[j] !== '"') throw new Error(`unterminated label value in ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return labels;
}

/** Parses a whole exposition; throws on any line that is not valid text format. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (m) types.set(m[1], m[2]);
      continue;
    }
    const brace = line.indexOf('{');
    const space = line.lastIndexOf(' ');
    let name: string;
    let labels: Record<string, string> = {};
    if (brace >= 0 && brace < space) {
      const close = line.lastIndexOf('}');
      name = line.slice(0, brace);
      labels = parseLabels(line.slice(brace + 1, close), line);
    } else {
      name = line.slice(0, space);
    }
    const raw = line.slice(space + 1);
    samples.push({ name, labels, raw, value: parseValue(raw) });
  }
  return { samples, types, lines };
}

/** Parses `name{a="x",b="y"}` (equality matchers only). */
export function parseSelector(query: string): { name: string; match: Record<string, string> } {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$/.exec(query.trim());
  if (!m) throw new Error(`unsupported query ${query}`);
  return { name: m[1], match: m[2] ? parseLabels(m[2], query) : {} };
}

/** The series an instant-vector selector picks, as a map of `label=value,...` -> value. */
export function select(e: Exposition, query: string): Map<string, number> {
  const sel = parseSelector(query);
  const out = new Map<string, number>();
  for (const s of e.samples) {
    if (s.name !== sel.name) continue;
    if (!Object.keys(sel.match).every((k) => s.labels[k] === sel.match[k])) continue;
    out.set(seriesKey(s.labels), s.value);
  }
  return out;
}

/** A stable key for a label set: `a="x",b="y"` with names sorted. */
export function seriesKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

/** The one value of `name{labels}` (exact label set), or undefined when there is no such series. */
export function valueOf(e: Exposition, name: string, labels: Record<string, string>): number | undefined {
  return select(e, name).get(seriesKey(labels));
}
