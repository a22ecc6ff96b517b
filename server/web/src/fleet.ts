// The fleet table: one row per machine, kept current by the server's event stream (a snapshot,
// then one message per machine that changed), with oops / clear / lock out / unlock behind a
// confirmation. Actions go to the admin API, so its rules apply; the answer is shown in the row.
import { api, ApiError } from './api.js';
import { $, clear, h, toast } from './dom.js';
import { duration, serverNow, setServerTime, when } from './format.js';
import type { DashRow, FleetSnapshot } from './types.js';

const rows = new Map<string, DashRow>();
const results = new Map<string, { text: string; error: boolean }>();
let latest = 0;
const listeners: Array<() => void> = [];

/** Called after every change of the fleet (the members page follows the list rollout). */
export function onFleetChange(fn: () => void): void {
  listeners.push(fn);
}

export function fleetRows(): DashRow[] {
  return Array.from(rows.values());
}

export function latestListVersion(): number {
  return latest;
}

function changed(): void {
  for (const fn of listeners) fn();
}

function cell(label: string, ...children: Array<Node | string | null>): HTMLTableCellElement {
  return h('td', { 'data-label': label }, ...children);
}

function since(ms: number | null, prefix: string, suffix = ''): HTMLElement | null {
  if (ms === null) return null;
  return h('span', { class: 'sub', title: when(ms) }, prefix, h('span', { 'data-since': String(ms) }, duration(serverNow() - ms)), suffix);
}

function statusCell(r: DashRow): HTMLTableCellElement {
  if (r.kind === 'none' && r.last_checkin === null) return cell('Status', h('span', { class: 'badge off' }, 'never seen'));
  const badge = r.online ? h('span', { class: 'badge ok' }, 'online') : h('span', { class: 'badge bad' }, 'offline');
  return cell('Status', badge, since(r.since, r.online ? 'for ' : 'silent for '), h('span', { class: 'sub' }, r.kind === 'fobgate' ? 'fobgate unit' : r.kind === 'legacy' ? 'dm_mac unit' : ''));
}

function useCell(r: DashRow): HTMLTableCellElement {
  if (!r.user) return cell('In use', h('span', { class: 'sub' }, 'nobody'));
  return cell('In use', h('strong', null, r.user.full_name), r.override ? h('span', { class: 'badge warn' }, 'override') : null, since(r.session_start, 'for '));
}

function relayCell(r: DashRow): HTMLTableCellElement {
  const one = (label: string, on: boolean) => h('span', { class: 'badge ' + (on ? 'ok' : 'off') }, `${label} ${on ? 'on' : 'off'}`);
  return cell('Relays', one('relay', r.relay), r.second_relay_name ? h('span', { class: 'sub' }, one(r.second_relay_name, r.second_relay)) : null);
}

function flagsCell(r: DashRow): HTMLTableCellElement {
  const parts: Array<Node | null> = [];
  if (r.oopsed) parts.push(h('span', { class: 'badge bad' }, 'OOPS'));
  if (r.locked_out) parts.push(h('span', { class: 'badge warn' }, 'locked out'));
  if (r.lockout_pending) parts.push(h('span', { class: 'badge warn' }, 'lockout after session'));
  if (parts.length === 0) parts.push(h('span', { class: 'sub' }, 'none'));
  return cell('Oops / lockout', ...parts);
}

function listCell(r: DashRow): HTMLTableCellElement {
  if (r.kind !== 'fobgate') return cell('List', h('span', { class: 'sub' }, r.kind === 'legacy' ? 'decided by the server' : '-'));
  const held = r.list_version_held;
  if (r.list_unrecognized) {
    return cell('List', h('span', { class: 'badge bad' }, `v${held === null ? '?' : held}?`), h('span', { class: 'sub' }, 'a list this server did not issue; the unit gets no update'));
  }
  const current = held !== null && held === r.list_version_latest;
  return cell('List', h('span', { class: 'badge ' + (current ? 'ok' : 'warn') }, `v${held === null ? '-' : held} of v${r.list_version_latest}`));
}

function unitCell(r: DashRow): HTMLTableCellElement {
  const wifi = r.wifi_signal_db !== null ? `${r.wifi_signal_db} dBm` : r.wifi_signal_percent !== null ? `${r.wifi_signal_percent} %` : null;
  return cell(
    'Unit',
    r.firmware ? h('span', null, r.firmware) : h('span', { class: 'sub' }, r.kind === 'legacy' ? 'ESPHome (dm_mac)' : 'firmware unknown'),
    wifi ? h('span', { class: 'sub' }, 'Wi-Fi ' + wifi) : null,
    r.dropped_events > 0 ? h('span', { class: 'badge bad' }, `${r.dropped_events} events dropped`) : null,
    r.commands_pending > 0 ? h('span', { class: 'sub' }, `${r.commands_pending} command(s) waiting for its sync`) : null,
  );
}

function eventCell(r: DashRow): HTMLTableCellElement {
  if (!r.last_event) return cell('Last event', h('span', { class: 'sub' }, 'none'));
  return cell('Last event', h('span', null, r.last_event.summary), since(r.last_event.at, '', ' ago'));
}

interface ActionSpec {
  label: string;
  method: 'POST' | 'DELETE';
  path: string;
  title: string;
  text: string;
  cutChoice?: boolean;
  danger?: boolean;
}

function actionsOf(r: DashRow): ActionSpec[] {
  const base = `/api/admin/machines/${encodeURIComponent(r.name)}`;
  const out: ActionSpec[] = [];
  if (r.oopsed) out.push({ label: 'Clear oops', method: 'DELETE', path: base + '/oops', title: `Clear the oops of ${r.display_name}?`, text: 'Members can use the machine again once it is cleared.' });
  else out.push({ label: 'Oops', method: 'POST', path: base + '/oops', title: `Oops ${r.display_name}?`, text: 'Power is cut at once and stays off until an admin clears the oops.', danger: true });
  if (r.locked_out || r.lockout_pending) out.push({ label: 'Unlock', method: 'DELETE', path: base + '/lockout', title: `Unlock ${r.display_name}?`, text: 'The maintenance lockout ends; members can use the machine again.' });
  else out.push({ label: 'Lock out', method: 'POST', path: base + '/lockout', title: `Lock out ${r.display_name} for maintenance?`, text: 'Nobody can start the machine until it is unlocked.', cutChoice: true, danger: true });
  return out;
}

/** Asks for confirmation; resolves null when cancelled, else whether to cut now. */
function confirmAction(a: ActionSpec): Promise<{ cut: boolean } | null> {
  const dialog = $('confirm') as HTMLDialogElement;
  $('confirm-title').textContent = a.title;
  $('confirm-text').textContent = a.text;
  $('confirm-cut').hidden = !a.cutChoice;
  const ok = $('confirm-ok');
  ok.textContent = a.label;
  ok.className = a.danger ? 'danger' : '';
  const form = $('confirm-form') as HTMLFormElement;
  form.reset();
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener('close', done);
      if (dialog.returnValue !== 'ok') return resolve(null);
      const now = form.querySelector<HTMLInputElement>('input[name="cut"][value="now"]');
      resolve({ cut: a.cutChoice ? !!(now && now.checked) : false });
    };
    dialog.returnValue = '';
    dialog.addEventListener('close', done);
    dialog.showModal();
    $('confirm-cancel').focus();
  });
}

async function runAction(r: DashRow, a: ActionSpec, button: HTMLButtonElement): Promise<void> {
  const choice = await confirmAction(a);
  if (!choice) {
    button.focus();
    return;
  }
  button.disabled = true;
  try {
    const res = await api<{ success: boolean; queued?: boolean; command_id?: number }>(a.method, a.path, a.method === 'POST' ? (a.cutChoice ? { cut: choice.cut } : {}) : undefined);
    const text = res.queued
      ? `${a.label}: sent to the unit as command ${res.command_id}; it applies it at its next sync.`
      : `${a.label}: done.`;
    results.set(r.name, { text, error: false });
    toast(`${r.display_name}: ${text}`);
  } catch (e) {
    const text = `${a.label} failed: ${e instanceof ApiError ? e.message : String(e)}`;
    results.set(r.name, { text, error: true });
    toast(`${r.display_name}: ${text}`);
  }
  render(r.name, false);
  const again = document.querySelector<HTMLButtonElement>(`tr[data-machine="${CSS.escape(r.name)}"] .actions button`);
  if (again) again.focus();
}

function actionsCell(r: DashRow): HTMLTableCellElement {
  const box = h('div', { class: 'actions' });
  for (const a of actionsOf(r)) {
    const b = h('button', { type: 'button', class: a.danger ? 'danger' : 'quiet', 'aria-label': `${a.label} ${r.display_name}` }, a.label);
    b.addEventListener('click', () => void runAction(r, a, b));
    box.append(b);
  }
  const res = results.get(r.name);
  return cell('Actions', box, res ? h('span', { class: 'result' + (res.error ? ' error' : ''), role: 'status' }, res.text) : null);
}

function rowOf(r: DashRow): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-machine': r.name },
    h('th', { scope: 'row', 'data-label': 'Machine' }, r.display_name, r.display_name !== r.name ? h('span', { class: 'sub' }, r.name) : null, h('span', { class: 'sub lcd' }, r.display.replace('\n', ' / '))),
    statusCell(r),
    useCell(r),
    relayCell(r),
    flagsCell(r),
    listCell(r),
    unitCell(r),
    eventCell(r),
    actionsCell(r),
  );
}

function render(name: string, flash: boolean): void {
  const r = rows.get(name);
  if (!r) return;
  const body = $('fleet-body');
  const tr = rowOf(r);
  if (flash) tr.classList.add('flash');
  const old = body.querySelector(`tr[data-machine="${CSS.escape(name)}"]`);
  if (old) {
    // keep keyboard focus where it was
    const focused = old.contains(document.activeElement) ? (document.activeElement as HTMLElement).getAttribute('aria-label') : null;
    old.replaceWith(tr);
    if (focused) {
      const again = tr.querySelector<HTMLElement>(`[aria-label="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  } else body.append(tr);
}

function summary(): void {
  const all = fleetRows();
  const online = all.filter((r) => r.online).length;
  const inUse = all.filter((r) => r.user).length;
  const oops = all.filter((r) => r.oopsed).length;
  const locked = all.filter((r) => r.locked_out).length;
  $('fleet-summary').textContent = `${all.length} machines: ${online} online, ${inUse} in use, ${oops} oopsed, ${locked} locked out. Member list version ${latest}.`;
}

export function applySnapshot(s: FleetSnapshot): void {
  setServerTime(s.time);
  latest = s.list_version_latest;
  rows.clear();
  clear($('fleet-body'));
  for (const r of s.machines) {
    rows.set(r.name, r);
    render(r.name, false);
  }
  summary();
  changed();
}

export function applyRow(r: DashRow): void {
  const existed = rows.has(r.name);
  rows.set(r.name, r);
  latest = Math.max(latest, r.list_version_latest);
  render(r.name, existed);
  summary();
  changed();
}

export function applyMeta(m: { list_version_latest: number }): void {
  latest = m.list_version_latest;
  summary();
  changed();
}

/** Durations ("for 3 min 2 s") tick every second without a message from the server. */
export function tick(): void {
  const now = serverNow();
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-since]'))) {
    el.textContent = duration(now - Number(el.dataset.since));
  }
}
