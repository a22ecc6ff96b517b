// Members import: turn a CSV export into member records in the browser with the same reader as
// `npm run users -- import` (csvToRecords of scripts/src/members-file.ts; a users.json is read as
// JSON), then let the server validate it and tell the difference (PUT /api/admin/users?dry_run=true:
// names, fobs and authorizations gained and lost, removals highlighted); problems it finds are
// shown with the CSV line they come from. Nothing changes until the admin applies it; then the page
// follows which units hold the new list. (The validator stays on the server: the page's content
// security policy rightly forbids the code generation it uses.)
import { CSV_HELP, csvToRecords } from '../../../scripts/src/members-file.js';
import { api, ApiError } from './api.js';
import { $, clear, h, toast } from './dom.js';
import { fleetRows, onFleetChange } from './fleet.js';
import type { UserRecord, UsersReplaceResult } from './types.js';

/** A CSV export, as the command-line import decides it. */
function isCsv(name: string, text: string): boolean {
  return /\.csv$/i.test(name) || (!/^\s*[[{]/.test(text) && text.includes(','));
}

/**
 * The server names problems by JSON pointer into the list it got ("users.json: /3/fob_codes/0: ...");
 * for a CSV, say the line of the file instead, as the command-line import does.
 */
export function relabel(message: string, file: string, lines: number[] | null): string[] {
  return message.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const m = /^[^:]*: \/(\d+)(?:\/([^/:\s]+))?[^:]*: (.*)$/.exec(l);
    if (!m || !lines) return l.replace(/^[^:]*:/, file + ':');
    const line = lines[Number(m[1])];
    return `${file}: line ${line === undefined ? '?' : line}: ${m[2] ? m[2] + ': ' : ''}${m[3]}`;
  });
}

let pending: { users: unknown[]; diff: UsersReplaceResult; file: string } | null = null;
let applied: number | null = null;

function nameList(ids: string[], byId: Map<string, UserRecord>): HTMLElement {
  return h('ul', null, ...ids.map((id) => {
    const u = byId.get(id);
    return h('li', null, u ? `${u.full_name} (${id})` : id);
  }));
}

function chips(added: string[], removed: string[]): Array<Node> {
  const out: Node[] = [];
  for (const a of added) out.push(h('span', { class: 'gain' }, '+' + a), document.createTextNode(' '));
  for (const r of removed) out.push(h('span', { class: 'loss' }, '−' + r), document.createTextNode(' '));
  return out;
}

function renderDiff(d: UsersReplaceResult, before: UserRecord[], after: UserRecord[], file: string): void {
  const box = $('import-result');
  clear(box);
  const old = new Map(before.map((u) => [u.account_id, u]));
  const neu = new Map(after.map((u) => [u.account_id, u]));
  const total = d.added.length + d.removed.length + d.changed.length;
  const diff = h('div', { class: 'card diff', id: 'diff' });
  diff.append(
    h('h3', null, `Changes in ${file}`),
    h('p', { class: 'counts', id: 'diff-counts' }, `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed` + (total ? ` (list version ${d.version} once applied)` : '')),
  );
  if (d.removed.length) {
    if (d.removals_need_confirmation === true) {
      diff.append(h('p', { class: 'error', role: 'alert' }, `This list removes more members than one change may without confirmation (${d.removal_limit ?? '?'} of ${d.members_before ?? before.length}).`));
    }
    diff.append(
      h('h3', null, `Removed (${d.removed.length}): these members lose every machine`),
      h('ul', { class: 'removals' }, ...d.removed.map((id) => {
        const u = old.get(id);
        return h('li', { class: 'removal' }, u ? `${u.full_name} (${id}): fobs ${u.fob_codes.join(', ') || 'none'}` : id);
      })),
    );
  }
  if (d.added.length) diff.append(h('h3', null, `Added (${d.added.length})`), nameList(d.added, neu));
  if (d.changed.length) {
    const rows = d.changed.map((c) =>
      h(
        'tr',
        null,
        h('td', { 'data-label': 'Member' }, `${c.full_name} (${c.account_id})`),
        h('td', { 'data-label': 'Fobs' }, ...chips(c.fobs_added, c.fobs_removed)),
        h('td', { 'data-label': 'Authorizations' }, ...chips(c.authorizations_added, c.authorizations_removed)),
        h('td', { 'data-label': 'Other fields' }, c.fields.join(', ')),
      ),
    );
    diff.append(
      h('h3', null, `Changed (${d.changed.length})`),
      h('div', { class: 'table-wrap' }, h('table', { class: 'log' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Member'), h('th', { scope: 'col' }, 'Fobs'), h('th', { scope: 'col' }, 'Authorizations'), h('th', { scope: 'col' }, 'Other fields'))),
        h('tbody', null, ...rows))),
    );
  }
  if (d.warnings.length) diff.append(h('h3', null, 'Warnings'), h('ul', { class: 'warning-list' }, ...d.warnings.map((w) => h('li', null, w))));
  if (total === 0) {
    diff.append(h('p', null, 'No changes: the server already has this list.'));
  } else {
    const apply = h('button', { type: 'button', id: 'import-apply', class: d.removed.length ? 'danger' : '' }, `Apply ${total} change${total === 1 ? '' : 's'}`);
    let ack: HTMLInputElement | null = null;
    if (d.removed.length) {
      ack = h('input', { type: 'checkbox', id: 'import-ack' });
      apply.disabled = true;
      ack.addEventListener('change', () => {
        apply.disabled = !(ack && ack.checked);
      });
      diff.append(h('p', null, h('label', { for: 'import-ack' }, ack, ` Yes, remove ${d.removed.length} member${d.removed.length === 1 ? '' : 's'}`)));
    }
    apply.addEventListener('click', () => void applyImport(apply));
    diff.append(apply);
  }
  box.append(diff);
}

async function preview(e: Event): Promise<void> {
  e.preventDefault();
  const input = $('import-file') as HTMLInputElement;
  const file = input.files && input.files[0];
  const box = $('import-result');
  clear(box);
  pending = null;
  if (!file) return;
  const text = await file.text();
  let records: unknown[];
  let lines: number[] | null = null;
  let warnings: string[] = [];
  const refuse = (problems: string[]) =>
    box.append(h('div', { class: 'card', role: 'alert' }, h('p', { class: 'error' }, `${file.name} cannot be imported:`), h('ul', null, ...problems.map((x) => h('li', null, x)))));
  if (isCsv(file.name, text)) {
    const c = csvToRecords(text, file.name);
    if (c.errors.length) return refuse(c.errors);
    records = c.raw;
    lines = c.lines;
    warnings = c.warnings;
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return refuse([`${file.name}: not valid JSON (${err instanceof Error ? err.message : String(err)})`]);
    }
    if (!Array.isArray(doc)) return refuse([`${file.name}: must be a JSON array of members (dm_mac's users.json)`]);
    records = doc;
  }
  try {
    const [before, diff] = await Promise.all([
      api<UserRecord[]>('GET', '/api/admin/users'),
      api<UsersReplaceResult>('PUT', '/api/admin/users?dry_run=true', records),
    ]);
    diff.warnings = warnings.concat(diff.warnings.flatMap((w) => relabel(w, file.name, lines)));
    pending = { users: records, diff, file: file.name };
    renderDiff(diff, before, records as UserRecord[], file.name);
  } catch (err) {
    if (err instanceof ApiError && err.status === 400) return refuse(relabel(err.message, file.name, lines));
    box.append(h('p', { class: 'error', role: 'alert' }, `The server refused ${file.name}: ${err instanceof ApiError ? err.message : String(err)}`));
  }
}

async function applyImport(button: HTMLButtonElement): Promise<void> {
  if (!pending) return;
  button.disabled = true;
  try {
    // A server that guards against mass removals refuses them (409) unless confirmed: the tick is
    // that confirmation, and it is only sent when the dry run said it is needed.
    const confirm = pending.diff.removals_need_confirmation === true;
    const res = await api<UsersReplaceResult>('PUT', '/api/admin/users' + (confirm ? '?allow_removals=true' : ''), pending.users);
    applied = res.version;
    toast(`Members replaced: list version ${res.version}.`);
    clear($('import-result'));
    $('import-result').append(h('p', { class: 'card', role: 'status', id: 'import-done' }, `Applied ${pending.file}: ${res.added.length} added, ${res.removed.length} removed, ${res.changed.length} changed. Member list version ${res.version}.`));
    pending = null;
    rollout();
  } catch (err) {
    button.disabled = false;
    $('import-result').append(h('p', { class: 'error', role: 'alert' }, `Not applied: ${err instanceof ApiError ? err.message : String(err)}`));
  }
}

/** Which units hold the list applied last (live, from the fleet stream). */
function rollout(): void {
  const box = $('rollout');
  clear(box);
  if (applied === null) return;
  const units = fleetRows().filter((r) => r.kind === 'fobgate');
  const holding = units.filter((r) => r.list_version_held !== null && r.list_version_held >= (applied as number));
  box.append(
    h('div', { class: 'card' },
      h('h3', null, `Units holding list version ${applied}: ${holding.length} of ${units.length}`),
      h('ul', { id: 'rollout-list' }, ...units.map((r) => {
        const ok = r.list_version_held !== null && r.list_version_held >= (applied as number);
        return h('li', null, h('span', { class: 'badge ' + (ok ? 'ok' : 'warn') }, ok ? 'holds it' : `has v${r.list_version_held ?? '-'}`), ' ', r.display_name, ok || r.online ? '' : ' (offline: gets it at its next sync)');
      })),
      h('p', { class: 'hint' }, 'dm_mac (ESPHome) units ask the server at every card and need no list.'),
    ),
  );
}

export function initMembers(): void {
  $('csv-help').textContent = CSV_HELP;
  $('import-form').addEventListener('submit', (e) => void preview(e));
  onFleetChange(rollout);
}
