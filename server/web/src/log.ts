// The log: events or sessions by machine, member and time range through the admin API's
// queries, newest first, 50 a page. Paging walks back in time: the next page asks for what is
// not newer than the last row shown and leaves out the rows already shown at that same time.
// CSV export asks for up to 10,000 rows of the same query and saves them as a file.
import { api, ApiError } from './api.js';
import { $, clear, h } from './dom.js';
import { duration, when } from './format.js';
import { fleetRows } from './fleet.js';
import type { StoredEvent, StoredSession } from './types.js';

const PAGE = 50;

type Row = StoredEvent | StoredSession;

interface Cursor {
  to: number | null;
  skip: string[];
}

let kind: 'events' | 'sessions' = 'events';
let pages: Cursor[] = [];
let page = 0;

function keyOf(r: Row): string {
  return 'id' in r ? 'e' + r.id : `s${r.machine}|${r.start}|${r.fob}`;
}

function timeOf(r: Row): number {
  return 'id' in r ? r.at : r.start;
}

function filters(): URLSearchParams {
  const q = new URLSearchParams();
  const machine = ($('log-machine') as HTMLSelectElement).value;
  const member = ($('log-member') as HTMLInputElement).value.trim();
  const from = ($('log-from') as HTMLInputElement).value;
  const to = ($('log-to') as HTMLInputElement).value;
  if (machine) q.set('machine', machine);
  if (member) q.set('member', member);
  if (from) q.set('from', String(new Date(from).getTime()));
  if (to) q.set('to', String(new Date(to).getTime() + 59_999));
  return q;
}

async function fetchRows(q: URLSearchParams): Promise<Row[]> {
  if (kind === 'events') return (await api<{ events: StoredEvent[] }>('GET', '/api/admin/events?' + q.toString())).events;
  return (await api<{ sessions: StoredSession[] }>('GET', '/api/admin/sessions?' + q.toString())).sessions;
}

function head(): void {
  const thead = $('log-head');
  clear(thead);
  const cols = kind === 'events' ? ['Time', 'Machine', 'Event', 'Member', 'Detail', 'Source'] : ['Machine', 'Member', 'Start', 'End', 'Duration', 'Override'];
  thead.append(h('tr', null, ...cols.map((c) => h('th', { scope: 'col' }, c))));
}

function rowOf(r: Row): HTMLTableRowElement {
  const td = (label: string, text: string) => h('td', { 'data-label': label }, text);
  if ('id' in r) {
    const member = r.full_name ?? (r.fob ? `fob ${r.fob}` : '');
    const detail = [r.reason, r.detail, r.duration_ms !== null ? duration(r.duration_ms) : null].filter((x) => x).join('; ');
    return h('tr', { 'data-id': String(r.id) }, td('Time', when(r.at)), td('Machine', r.machine || '(server)'), td('Event', r.type.replace(/_/g, ' ')), td('Member', member), td('Detail', detail), td('Source', r.source));
  }
  return h('tr', null, td('Machine', r.machine), td('Member', `${r.full_name} (fob ${r.fob})`), td('Start', when(r.start)), td('End', r.end === null ? 'running' : when(r.end)), td('Duration', r.duration_ms === null ? '' : duration(r.duration_ms)), td('Override', r.override ? 'yes' : ''));
}

async function show(n: number): Promise<void> {
  const status = $('log-status');
  const cursor = pages[n];
  const q = filters();
  if (cursor.to !== null) {
    const to = q.get('to');
    if (to === null || Number(to) > cursor.to) q.set('to', String(cursor.to));
  }
  q.set('limit', String(PAGE + cursor.skip.length + 1));
  status.textContent = 'Loading…';
  let got: Row[];
  try {
    got = await fetchRows(q);
  } catch (e) {
    status.textContent = `Cannot load the log: ${e instanceof ApiError ? e.message : String(e)}`;
    return;
  }
  const skip = new Set(cursor.skip);
  const fresh = got.filter((r) => !skip.has(keyOf(r)));
  const shown = fresh.slice(0, PAGE);
  const more = fresh.length > PAGE;
  page = n;
  head();
  const body = $('log-body');
  clear(body);
  for (const r of shown) body.append(rowOf(r));
  if (shown.length === 0) body.append(h('tr', null, h('td', { colspan: '6' }, 'Nothing matches.')));
  if (more && shown.length > 0) {
    const last = timeOf(shown[shown.length - 1]);
    const sameTime = shown.filter((r) => timeOf(r) === last).map(keyOf);
    const carried = cursor.to === last ? cursor.skip : [];
    pages[n + 1] = { to: last, skip: carried.concat(sameTime) };
  } else pages.length = n + 1;
  ($('log-newer') as HTMLButtonElement).disabled = n === 0;
  ($('log-older') as HTMLButtonElement).disabled = !more;
  $('log-page').textContent = `Page ${n + 1}`;
  status.textContent = `${kind === 'events' ? 'Events' : 'Sessions'} ${n * PAGE + 1}–${n * PAGE + shown.length}${more ? '' : ' (the oldest)'}`;
}

function search(e?: Event): void {
  if (e) e.preventDefault();
  kind = ($('log-kind') as HTMLSelectElement).value === 'sessions' ? 'sessions' : 'events';
  pages = [{ to: null, skip: [] }];
  void show(0);
}

/** A CSV field: quoted, and never read as a formula by a spreadsheet. */
function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return '"' + s.replace(/"/g, '""') + '"';
}

async function exportCsv(): Promise<void> {
  const q = filters();
  q.set('limit', '10000');
  const status = $('log-status');
  let rows: Row[];
  try {
    rows = await fetchRows(q);
  } catch (e) {
    status.textContent = `Cannot export: ${e instanceof ApiError ? e.message : String(e)}`;
    return;
  }
  const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());
  const lines: string[] = [];
  if (kind === 'events') {
    lines.push('id,time,machine,type,source,account_id,full_name,fob,reason,duration_ms,detail');
    for (const r of rows as StoredEvent[]) lines.push([r.id, iso(r.at), r.machine, r.type, r.source, r.account_id, r.full_name, r.fob, r.reason, r.duration_ms, r.detail].map(csvField).join(','));
  } else {
    lines.push('machine,account_id,full_name,fob,start,end,duration_ms,override');
    for (const r of rows as StoredSession[]) lines.push([r.machine, r.account_id, r.full_name, r.fob, iso(r.start), iso(r.end), r.duration_ms, r.override].map(csvField).join(','));
  }
  const blob = new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' });
  const a = h('a', { href: URL.createObjectURL(blob), download: `fobgate-${kind}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  status.textContent = `Exported ${rows.length} ${kind}${rows.length === 10000 ? ' (the newest 10,000; narrow the range for more)' : ''}.`;
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
