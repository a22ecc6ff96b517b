// The log: events or sessions by machine, member and time range through the admin API's paged
// queries (GET /api/admin/events | sessions), newest first, 50 a page. Each answer's `next` is the
// server's cursor for the following page (`before=`), so every row appears exactly once however
// many share a time, and a page of older rows stays the same while new events arrive.
// Usage shows the monthly usage per member and machine (GET /api/admin/usage).
// CSV export walks the same query's pages (10,000 rows each) up to EXPORT_MAX rows; usage is
// exported as the server's own CSV.
import { api, ApiError } from './api.js';
import { $, clear, h } from './dom.js';
import { duration, when } from './format.js';
import { fleetRows } from './fleet.js';
import type { StoredEvent, StoredSession, UsageRow } from './types.js';

const PAGE = 50;
const EXPORT_PAGE = 10_000;
/** Rows one export collects at most (the browser holds them all before saving). */
const EXPORT_MAX = 200_000;

type Kind = 'events' | 'sessions' | 'usage';
type Row = StoredEvent | StoredSession;

interface PageAnswer {
  rows: Row[];
  next: string | null;
}

let kind: Kind = 'events';
/** pages[n]: the `before` cursor of page n (null: the newest). */
let pages: Array<string | null> = [];
let page = 0;
/** Bumped by every search: an answer to an older search is dropped. */
let generation = 0;

function filters(): URLSearchParams {
  const q = new URLSearchParams();
  const machine = ($('log-machine') as HTMLSelectElement).value;
  const member = ($('log-member') as HTMLInputElement).value.trim();
  const from = ($('log-from') as HTMLInputElement).value;
  const to = ($('log-to') as HTMLInputElement).value;
  if (machine) q.set('machine', machine);
  if (member) q.set('member', member);
  if (kind === 'usage') {
    // months (server time zone) from the dates' year and month
    if (from) q.set('from', from.slice(0, 7));
    if (to) q.set('to', to.slice(0, 7));
    return q;
  }
  if (from) q.set('from', String(new Date(from).getTime()));
  if (to) q.set('to', String(new Date(to).getTime() + 59_999));
  return q;
}

async function fetchPage(q: URLSearchParams): Promise<PageAnswer> {
  if (kind === 'events') {
    const a = await api<{ events: StoredEvent[]; next: string | null }>('GET', '/api/admin/events?' + q.toString());
    return { rows: a.events, next: a.next };
  }
  const a = await api<{ sessions: StoredSession[]; next: string | null }>('GET', '/api/admin/sessions?' + q.toString());
  return { rows: a.sessions, next: a.next };
}

function columns(): string[] {
  if (kind === 'events') return ['Time', 'Machine', 'Event', 'Member', 'Detail', 'Source'];
  if (kind === 'sessions') return ['Machine', 'Member', 'Start', 'End', 'Duration', 'Override'];
  return ['Month', 'Member', 'Machine', 'Sessions', 'Time used'];
}

function head(): void {
  const thead = $('log-head');
  clear(thead);
  thead.append(h('tr', null, ...columns().map((c) => h('th', { scope: 'col' }, c))));
}

const td = (label: string, text: string) => h('td', { 'data-label': label }, text);

function rowOf(r: Row): HTMLTableRowElement {
  if ('id' in r) {
    const member = r.full_name ?? (r.fob ? `fob ${r.fob}` : '');
    const detail = [r.reason, r.detail, r.duration_ms !== null ? duration(r.duration_ms) : null].filter((x) => x).join('; ');
    return h('tr', { 'data-id': String(r.id) }, td('Time', when(r.at)), td('Machine', r.machine || '(server)'), td('Event', r.type.replace(/_/g, ' ')), td('Member', member), td('Detail', detail), td('Source', r.source));
  }
  return h('tr', null, td('Machine', r.machine), td('Member', `${r.full_name} (fob ${r.fob})`), td('Start', when(r.start)), td('End', r.end === null ? 'running' : when(r.end)), td('Duration', r.duration_ms === null ? '' : duration(r.duration_ms)), td('Override', r.override ? 'yes' : ''));
}

function usageRowOf(r: UsageRow): HTMLTableRowElement {
  return h('tr', null, td('Month', r.month), td('Member', `${r.full_name} (${r.account_id})`), td('Machine', r.display_name), td('Sessions', String(r.sessions)), td('Time used', duration(r.total_ms)));
}

function pager(newer: boolean, older: boolean, label: string): void {
  ($('log-newer') as HTMLButtonElement).disabled = !newer;
  ($('log-older') as HTMLButtonElement).disabled = !older;
  $('log-page').textContent = label;
}

async function show(n: number): Promise<void> {
  const status = $('log-status');
  const mine = generation;
  const q = filters();
  q.set('limit', String(PAGE));
  const before = pages[n];
  if (before) q.set('before', before);
  status.textContent = 'Loading…';
  let got: PageAnswer;
  try {
    got = await fetchPage(q);
  } catch (e) {
    if (mine === generation) status.textContent = `Cannot load the log: ${e instanceof ApiError ? e.message : String(e)}`;
    return;
  }
  if (mine !== generation) return;
  page = n;
  head();
  const body = $('log-body');
  clear(body);
  for (const r of got.rows) body.append(rowOf(r));
  if (got.rows.length === 0) body.append(h('tr', null, h('td', { colspan: '6' }, 'Nothing matches.')));
  if (got.next !== null) pages[n + 1] = got.next;
  else pages.length = n + 1;
  pager(n > 0, got.next !== null, `Page ${n + 1}`);
  const first = n * PAGE + 1;
  status.textContent = got.rows.length === 0 ? `${kind === 'events' ? 'Events' : 'Sessions'}: none` : `${kind === 'events' ? 'Events' : 'Sessions'} ${first}–${first + got.rows.length - 1}${got.next === null ? ' (the oldest)' : ''}`;
}

async function showUsage(): Promise<void> {
  const status = $('log-status');
  const mine = generation;
  status.textContent = 'Loading…';
  let rows: UsageRow[];
  try {
    rows = (await api<{ rows: UsageRow[] }>('GET', '/api/admin/usage?' + filters().toString())).rows;
  } catch (e) {
    if (mine === generation) status.textContent = `Cannot load the usage: ${e instanceof ApiError ? e.message : String(e)}`;
    return;
  }
  if (mine !== generation) return;
  head();
  const body = $('log-body');
  clear(body);
  for (const r of rows) body.append(usageRowOf(r));
  if (rows.length === 0) body.append(h('tr', null, h('td', { colspan: '5' }, 'Nothing matches.')));
  pager(false, false, '');
  status.textContent = `Usage: ${rows.length} row${rows.length === 1 ? '' : 's'} (sessions counted in the month they started, once ended)`;
}

function search(e?: Event): void {
  if (e) e.preventDefault();
  const v = ($('log-kind') as HTMLSelectElement).value;
  kind = v === 'sessions' || v === 'usage' ? v : 'events';
  generation++;
  pages = [null];
  if (kind === 'usage') void showUsage();
  else void show(0);
}

/** A CSV field: quoted, and never read as a formula by a spreadsheet. */
function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return '"' + s.replace(/"/g, '""') + '"';
}

function save(text: string, name: string): void {
  const blob = new Blob([text], { type: 'text/csv' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function exportUsage(): Promise<void> {
  const status = $('log-status');
  const q = filters();
  q.set('format', 'csv');
  const res = await fetch('/api/admin/usage?' + q.toString(), { credentials: 'same-origin', cache: 'no-store' });
  const text = await res.text();
  if (!res.ok) {
    let msg = `HTTP ${res.status}`;
    try {
      const j = JSON.parse(text) as { error?: unknown };
      if (typeof j.error === 'string') msg = j.error;
    } catch {
      // not JSON: keep the status
    }
    status.textContent = `Cannot export: ${msg}`;
    return;
  }
  save(text, 'fobgate-usage.csv');
  status.textContent = `Exported ${Math.max(0, text.trim().split('\r\n').length - 1)} usage rows.`;
}

async function exportCsv(): Promise<void> {
  const status = $('log-status');
  if (kind === 'usage') {
    try {
      await exportUsage();
    } catch (e) {
      status.textContent = `Cannot export: ${String(e)}`;
    }
    return;
  }
  const what = kind;
  const rows: Row[] = [];
  let before: string | null = null;
  let complete = false;
  try {
    while (rows.length < EXPORT_MAX) {
      const q = filters();
      q.set('limit', String(Math.min(EXPORT_PAGE, EXPORT_MAX - rows.length)));
      if (before) q.set('before', before);
      const got = await fetchPage(q);
      rows.push(...got.rows);
      status.textContent = `Exporting… ${rows.length} ${what}`;
      if (got.next === null) {
        complete = true;
        break;
      }
      before = got.next;
    }
  } catch (e) {
    status.textContent = `Cannot export: ${e instanceof ApiError ? e.message : String(e)}`;
    return;
  }
  const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());
  const lines: string[] = [];
  if (what === 'events') {
    lines.push('id,time,machine,type,source,account_id,full_name,fob,reason,duration_ms,detail');
    for (const r of rows as StoredEvent[]) lines.push([r.id, iso(r.at), r.machine, r.type, r.source, r.account_id, r.full_name, r.fob, r.reason, r.duration_ms, r.detail].map(csvField).join(','));
  } else {
    lines.push('machine,account_id,full_name,fob,start,end,duration_ms,override');
    for (const r of rows as StoredSession[]) lines.push([r.machine, r.account_id, r.full_name, r.fob, iso(r.start), iso(r.end), r.duration_ms, r.override].map(csvField).join(','));
  }
  save(lines.join('\r\n') + '\r\n', `fobgate-${what}.csv`);
  status.textContent = `Exported ${rows.length} ${what}${complete ? '' : ` (the newest ${EXPORT_MAX.toLocaleString('en')}; narrow the range for more)`}.`;
}

export function initLog(): void {
  $('log-form').addEventListener('submit', search);
  $('log-older').addEventListener('click', () => void show(page + 1));
  $('log-newer').addEventListener('click', () => void show(Math.max(0, page - 1)));
  $('log-csv').addEventListener('click', () => void exportCsv());
}

/** Machines for the filter, once the fleet is known. */
export function fillMachines(): void {
  const select = $('log-machine') as HTMLSelectElement;
  const have = new Set(Array.from(select.options).map((o) => o.value));
  for (const r of fleetRows()) {
    if (!have.has(r.name)) select.append(h('option', { value: r.name }, r.display_name));
  }
}

export function openLog(): void {
  if (pages.length === 0) search();
}
