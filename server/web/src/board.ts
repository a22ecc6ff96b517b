// The status board (/board): a tile per machine, free / in use / oops / down for maintenance /
// offline, live from the board's event stream. Read-only, no sign-in; member names only when
// the server is configured to show them (STATUS_BOARD=names).
import { $, clear, h } from './dom.js';
import type { BoardRow } from './types.js';

const LABEL: { [k in BoardRow['status']]: string } = {
  free: 'free',
  in_use: 'in use',
  oops: 'oops',
  maintenance: 'down for maintenance',
  offline: 'offline',
};

const rows = new Map<string, BoardRow>();

function render(): void {
  const list = $('board');
  clear(list);
  for (const r of rows.values()) {
    list.append(h('li', { class: r.status, 'data-machine': r.name }, h('strong', null, r.display_name), h('span', null, LABEL[r.status]), r.user ? h('em', null, r.user) : null));
  }
}

function conn(text: string): void {
  const el = $('conn');
  el.textContent = text;
  el.hidden = text === '';
}

function connect(): void {
  const es = new EventSource('/board/api/stream');
  es.addEventListener('open', () => conn(''));
  es.addEventListener('snapshot', (e) => {
    rows.clear();
    for (const r of (JSON.parse((e as MessageEvent).data) as { machines: BoardRow[] }).machines) rows.set(r.name, r);
    render();
  });
  es.addEventListener('machine', (e) => {
    const r = JSON.parse((e as MessageEvent).data) as BoardRow;
    rows.set(r.name, r);
    render();
  });
  es.addEventListener('error', () => {
    conn('Connection to the server lost: reconnecting…');
    if (es.readyState === EventSource.CLOSED) window.setTimeout(connect, 3000);
  });
}

connect();
