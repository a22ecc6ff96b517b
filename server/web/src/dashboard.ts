// The dashboard page: sign-in, the three sections (#fleet, #members, #log), and the live event
// stream. A lost stream says so at the top of the page and reconnects by itself; it starts
// again with a fresh snapshot.
import { api, ApiError, setCsrf } from './api.js';
import { $, toast } from './dom.js';
import { applyMeta, applyRow, applySnapshot, tick } from './fleet.js';
import { fillMachines, initLog, openLog } from './log.js';
import { initMembers } from './members.js';
import type { DashRow, FleetSnapshot, SessionInfo } from './types.js';

const SECTIONS = ['fleet', 'members', 'log'];
let stream: EventSource | null = null;
let lost = false;
let retryTimer: number | undefined;
let signedIn = false;

function conn(text: string, ok: boolean): void {
  const el = $('conn');
  el.textContent = text;
  el.className = 'conn' + (ok ? ' ok' : '');
  el.hidden = text === '';
}

function route(): void {
  if (!signedIn) return;
  const want = location.hash.replace('#', '');
  const section = SECTIONS.includes(want) ? want : 'fleet';
  for (const s of SECTIONS) $(s).hidden = s !== section;
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('#nav a'))) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (section === 'log') openLog();
}

function showSignIn(message: string): void {
  signedIn = false;
  if (stream) stream.close();
  stream = null;
  conn('', true);
  for (const s of SECTIONS) $(s).hidden = true;
  $('nav').hidden = true;
  $('who-box').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  ($('token') as HTMLInputElement).focus();
}

function connect(): void {
  if (stream) stream.close();
  window.clearTimeout(retryTimer);
  const es = new EventSource('/dashboard/api/stream');
  stream = es;
  es.addEventListener('open', () => {
    if (lost) {
      conn('Reconnected: the fleet is live again.', true);
      window.setTimeout(() => {
        if (!lost) conn('', true);
      }, 4000);
    }
    lost = false;
  });
  es.addEventListener('snapshot', (e) => {
    applySnapshot(JSON.parse((e as MessageEvent).data) as FleetSnapshot);
    fillMachines();
  });
  es.addEventListener('machine', (e) => applyRow(JSON.parse((e as MessageEvent).data) as DashRow));
  es.addEventListener('meta', (e) => applyMeta(JSON.parse((e as MessageEvent).data) as { list_version_latest: number }));
  es.addEventListener('error', () => {
    if (stream !== es) return;
    lost = true;
    conn('Connection to the server lost: reconnecting…', false);
    if (es.readyState === EventSource.CLOSED) {
      // the server refused the stream (signed out, expired, restarted): find out which
      retryTimer = window.setTimeout(() => void resume(), 2000);
    }
  });
}

async function resume(): Promise<void> {
  try {
    const s = await api<SessionInfo>('GET', '/dashboard/api/session');
    start(s);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) showSignIn('Your session has ended: sign in again.');
    else retryTimer = window.setTimeout(() => void resume(), 3000);
  }
}

function start(s: SessionInfo): void {
  signedIn = true;
  setCsrf(s.csrf);
  $('signin').hidden = true;
  $('nav').hidden = false;
  $('who-box').hidden = false;
  $('who').textContent = `Signed in as ${s.admin}`;
  route();
  connect();
}

async function signIn(e: Event): Promise<void> {
  e.preventDefault();
  const input = $('token') as HTMLInputElement;
  const button = $('signin-button') as HTMLButtonElement;
  button.disabled = true;
  $('signin-error').textContent = '';
  try {
    const s = await api<SessionInfo>('POST', '/dashboard/api/session', { token: input.value });
    input.value = '';
    start(s);
    ($('main') as HTMLElement).focus();
  } catch (err) {
    $('signin-error').textContent = err instanceof ApiError ? err.message : 'The server cannot be reached.';
  } finally {
    button.disabled = false;
  }
}

async function signOut(): Promise<void> {
  try {
    await api('DELETE', '/dashboard/api/session');
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      toast(`Sign-out failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
  }
  setCsrf('');
  showSignIn('Signed out.');
}

function init(): void {
  $('signin-form').addEventListener('submit', (e) => void signIn(e));
  $('signout').addEventListener('click', () => void signOut());
  window.addEventListener('hashchange', route);
  initMembers();
  initLog();
  window.setInterval(tick, 1000);
  api<SessionInfo>('GET', '/dashboard/api/session').then(start, (e) => {
    showSignIn(e instanceof ApiError && e.status === 401 ? '' : 'The server cannot be reached.');
  });
}

init();
