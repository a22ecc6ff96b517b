// What the comparison looks at in one step's outcome, made comparable: the answer (status, JSON
// body, Location/Allow), the dm_mac metric samples (fobgate_*, process_* and nodejs_* left out;
// time-valued samples reduced to "0", "set", "moved" or "same" against the same server's
// previous scrape), and the Slack texts per channel in the order the server made them.
import type { Answer, Channel, SlackPost } from './sides.js';

/** Samples whose value is a time of the server's clock: compared by whether they moved. */
export const TIME_SAMPLES = new Set([
  'machine_config_load_timestamp',
  'user_config_load_timestamp',
  'app_start_timestamp',
  'machine_last_checkin_timestamp',
  'machine_last_update_timestamp',
  'machine_rfid_present_since_timestamp',
]);

/** Families that are fobgate's own (documented additions), not dm_mac's. */
export function isOwnFamily(name: string): boolean {
  return name.startsWith('fobgate_') || name.startsWith('process_') || name.startsWith('nodejs_');
}

export interface Scrape {
  /** `name{a="x",b="y"}` (labels sorted) -> value. */
  samples: Map<string, number>;
  /** family -> type from # TYPE lines. */
  types: Map<string, string>;
}

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

export function parseScrape(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!isOwnFamily(name)) types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const name = m[1];
    if (isOwnFamily(name)) continue;
    const labels: [string, string][] = [];
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    let lm: RegExpExecArray | null;
    while ((lm = re.exec(m[3] ?? '')) !== null) labels.push([lm[1], unescapeLabel(lm[2])]);
    labels.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const key = `${name}{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    const raw = m[4];
    const value = raw === 'NaN' ? NaN : raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    samples.set(key, value);
  }
  return { samples, types };
}

/** Per-sample comparable values: times become 0 / set / moved / same. */
export function comparableSamples(now: Scrape, prev: Scrape | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of now.samples) {
    const brace = key.indexOf('{');
    const name = brace < 0 ? key : key.slice(0, brace);
    if (!TIME_SAMPLES.has(name)) {
      out.set(key, Number.isNaN(value) ? 'NaN' : String(value));
      continue;
    }
    const before = prev?.samples.get(key);
    if (value === 0) out.set(key, '0');
    else if (before === undefined || before === 0) out.set(key, 'set');
    else out.set(key, value === before ? 'same' : 'moved');
  }
  return out;
}

export interface Outcome {
  status: number | null;
  /** Media type of the answer (parameters such as charset left out), '' without a body. */
  contentType: string | null;
  /** Parsed JSON, or the text when it is not JSON. */
  body: unknown;
  bodyIsJson: boolean;
  location: string | null;
  allow: string | null;
  samples: Map<string, string>;
  types: Map<string, string>;
  slack: Record<Channel, string[]>;
}

/**
 * A session's length is wall-clock time on each server (a loaded machine answers the two at
 * different speeds): the durations of the sequences' short sessions, in humanize's words
 * (`a moment`, `a second`, `2 seconds` .. `59 seconds`; never `0 seconds` or `1 seconds`), become
 * one word. Anything else is compared as written.
 */
function sessionDuration(text: string): string {
  return text.replace(/session duration (a moment|a second|[2-9] seconds|[1-5][0-9] seconds)\b/, 'session duration <seconds>');
}

/** Slack's three escapes, which fobgate applies and dm_mac leaves to Slack: the same text shown. */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export function outcomeOf(
  answer: Answer | null,
  requestUrl: string,
  scrape: Scrape,
  prev: Scrape | null,
  posts: SlackPost[],
  side: 'dm_mac' | 'fobgate',
): Outcome {
  let body: unknown = null;
  let bodyIsJson = false;
  let location: string | null = null;
  let allow: string | null = null;
  if (answer && answer.status === 200 && new URL(requestUrl).pathname === '/metrics') {
    body = null; // compared sample by sample below
  } else if (answer) {
    if (answer.contentType === 'application/json') {
      try {
        body = JSON.parse(answer.text) as unknown;
        bodyIsJson = true;
      } catch {
        body = answer.text;
      }
    } else {
      body = answer.text;
    }
  }
  if (answer) {
    // A Location is compared as the URL it leads to (relative or absolute: the same place).
    if (answer.headers.location !== undefined) {
      const u = new URL(answer.headers.location, requestUrl);
      location = u.pathname + u.search;
    }
    if (answer.headers.allow !== undefined) {
      allow = answer.headers.allow
        .split(',')
        .map((s) => s.trim().toUpperCase())
        .sort()
        .join(', ');
    }
  }
  const slack: Record<Channel, string[]> = { control: [], oops: [] };
  for (const p of posts) slack[p.channel].push(sessionDuration(side === 'fobgate' ? unescapeSlack(p.text) : p.text));
  return {
    status: answer ? answer.status : null,
    contentType: answer ? (answer.text === '' ? '' : answer.contentType) : null,
    body,
    bodyIsJson,
    location,
    allow,
    samples: comparableSamples(scrape, prev),
    types: scrape.types,
    slack,
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      ka.length === kb.length &&
      ka.every((k, i) => k === kb[i] && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

export interface Difference {
  /** `status`, `body`, `location`, `allow`, `type:<family>`, `sample:<key>`, `slack:<channel>`. */
  aspect: string;
  dm_mac: string;
  fobgate: string;
}

const show = (v: unknown): string => (v === undefined ? '(absent)' : typeof v === 'string' ? v : JSON.stringify(v));

export function diffOutcomes(d: Outcome, f: Outcome): Difference[] {
  const out: Difference[] = [];
  if (d.status !== f.status) out.push({ aspect: 'status', dm_mac: show(d.status), fobgate: show(f.status) });
  if (!sameJson(d.body, f.body)) out.push({ aspect: 'body', dm_mac: show(d.body), fobgate: show(f.body) });
  if (d.contentType !== f.contentType) {
    out.push({ aspect: 'content-type', dm_mac: show(d.contentType), fobgate: show(f.contentType) });
  }
  if (d.location !== f.location) out.push({ aspect: 'location', dm_mac: show(d.location), fobgate: show(f.location) });
  if (d.allow !== f.allow) out.push({ aspect: 'allow', dm_mac: show(d.allow), fobgate: show(f.allow) });
  for (const name of new Set([...d.types.keys(), ...f.types.keys()])) {
    if (d.types.get(name) !== f.types.get(name)) {
      out.push({ aspect: `type:${name}`, dm_mac: show(d.types.get(name)), fobgate: show(f.types.get(name)) });
    }
  }
  for (const key of new Set([...d.samples.keys(), ...f.samples.keys()])) {
    if (d.samples.get(key) !== f.samples.get(key)) {
      out.push({ aspect: `sample:${key}`, dm_mac: show(d.samples.get(key)), fobgate: show(f.samples.get(key)) });
    }
  }
  for (const ch of ['control', 'oops'] as const) {
    if (!sameJson(d.slack[ch], f.slack[ch])) {
      out.push({ aspect: `slack:${ch}`, dm_mac: show(d.slack[ch]), fobgate: show(f.slack[ch]) });
    }
  }
  return out;
}
