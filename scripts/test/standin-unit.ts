// A stand-in fobgate unit for the flash tool's tests: a TCP server speaking enough of the
// Espruino console protocol for the real `espruino` CLI (reached with -p tcp://127.0.0.1:PORT):
// the board-detection print, reset(), Storage writes (string literal or atob chunks with offset
// and size), load(), and FG_INFO() answered from what it stored, like the firmware does. After
// load() it can perform the unit's first signed sync with the server using the uploaded key.
import { createHash, createHmac } from 'node:crypto';
import net from 'node:net';
import vm from 'node:vm';
import { isHex64, SIGNATURE_HEADER, SYNC_PATH, type ListUpdate, type SyncRequest } from '@fobgate/shared';

export interface StandinOptions {
  /** Flip one byte of the stored program (a corrupted upload). */
  corrupt?: boolean;
  /** Never answer anything (a unit that is not answering). */
  silent?: boolean;
  /** After load(), POST one signed sync to this server (from the uploaded config's key). */
  syncTo?: string;
}

export interface Standin {
  port: number;
  files: { [name: string]: string };
  commands: string[];
  loaded: number;
  syncStatus: number | null;
  close(): Promise<void>;
}

function sha(s: string): string {
  return createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
}

/** Evaluates the argument list of a Storage.write call: string literals and atob("...") only. */
function evalArgs(text: string): unknown[] {
  if (!/^[\s\S]*$/.test(text)) return [];
  return vm.runInNewContext('[' + text + ']', { atob: (b: string) => Buffer.from(b, 'base64').toString('latin1') }, { timeout: 1000 }) as unknown[];
}

export function startStandin(opts: StandinOptions = {}): Promise<Standin> {
  const state: Standin = {
    port: 0,
    files: {},
    commands: [],
    loaded: 0,
    syncStatus: null,
    close: () => Promise.resolve(),
  };
  const sockets = new Set<net.Socket>();
  const sizes: { [name: string]: number } = {};
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sockets.delete(sock));
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      if (opts.silent) return;
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/^\x10/, '').replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        handle(sock, line);
      }
    });
  });
  function handle(sock: net.Socket, line: string): void {
    if (line === '') {
      sock.write('\r\n>');
      return;
    }
    state.commands.push(line.length > 240 ? line.slice(0, 120) + '…' + line.slice(-120) : line);
    const env = { VERSION: '2v29', BOARD: 'ESP32', MODULES: 'Storage,http,Wifi,neopixel,crypto', EXPTR: 0 };
    if (line.includes('process.env')) {
      sock.write(`< << ${JSON.stringify(env)} >> >\r\n>`);
      return;
    }
    if (/^reset\(\);?$/.test(line)) {
      state.loaded = 0;
      sock.write('\r\n _____                 _\r\n|   __|___ ___ ___ _ _|_|___ ___\r\n 2v29 (c) 2025 G.Williams\r\n>');
      return;
    }
    const w = /^require\("Storage"\)\.write\(([\s\S]*)\);?$/.exec(line);
    if (w) {
      const a = evalArgs(w[1]);
      const name = String(a[0]);
      const data = String(a[1]);
      const offset = typeof a[2] === 'number' ? a[2] : 0;
      // Like Storage: offset 0 creates the file (with its declared size); later chunks fill it.
      if (offset === 0) {
        sizes[name] = typeof a[3] === 'number' ? a[3] : data.length;
        state.files[name] = '';
      }
      const cur = state.files[name] || '';
      if (cur.length !== offset) {
        sock.write(`Uncaught Error: Storage.write offset ${offset} but ${cur.length} bytes written\r\n>`);
        return;
      }
      state.files[name] = (cur + data).slice(0, sizes[name]);
      sock.write('\r\n=true\r\n>');
      return;
    }
    if (/^load\(\);?$/.test(line)) {
      state.loaded++;
      if (opts.corrupt && state.files['.bootcde']) {
        const b = state.files['.bootcde'];
        const i = Math.floor(b.length / 2);
        state.files['.bootcde'] = b.slice(0, i) + String.fromCharCode(b.charCodeAt(i) ^ 1) + b.slice(i + 1);
      }
      sock.write('\r\n>');
      if (opts.syncTo) void firstSync(opts.syncTo);
      return;
    }
    if (/^FG_INFO\(\);?$/.test(line)) {
      const fw = state.files['.bootcde'];
      const cfg = state.files['fobgate.json'];
      if (!fw || !state.loaded) {
        sock.write('Uncaught ReferenceError: "FG_INFO" is not defined\r\n>');
        return;
      }
      sock.write(`FGINFO ${JSON.stringify({ fw: sha(fw), cfg: cfg ? sha(cfg) : '', version: 'standin' })}\r\n>`);
      return;
    }
    sock.write('\r\n=undefined\r\n>');
  }
  async function firstSync(base: string): Promise<void> {
    try {
      const cfg = JSON.parse(state.files['fobgate.json'] || '{}') as { machine: string; key: string };
      const res = await postSync(base, cfg.key, idleSync(cfg.machine, 1, 1000, 0, ''));
      state.syncStatus = res.status;
      await res.text();
    } catch {
      state.syncStatus = -1;
    }
  }
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      state.port = (server.address() as net.AddressInfo).port;
      state.close = () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        });
      resolve(state);
    });
  });
}

/** The sync request of an idle unit (no card, no events) holding list `version`. */
function idleSync(machine: string, counter: number, up: number, version: number, digest: string): SyncRequest {
  return {
    machine,
    counter,
    fw: 'standin',
    up,
    boot_count: 1,
    list_version: version,
    list_digest: digest,
    command_ack: 0,
    state: { relay: false, second_relay: false, oopsed: false, locked_out: false, rfid: null, session_fob: null, session_start: 0, look: 'idle', display: 'Please Insert\nRFID Card' },
    telemetry: { wifi_signal_db: -55, free_vars: 9000, temp_c10: null },
    events: [],
    dropped_events: 0,
  };
}

/** POSTs a sync signed with the unit key, as a unit does. */
function postSync(server: string, key: string, req: SyncRequest): Promise<Response> {
  const body = JSON.stringify(req);
  return fetch(server + SYNC_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: createHmac('sha256', Buffer.from(key, 'latin1')).update(body).digest('hex') },
    body,
  });
}

/**
 * A unit that only speaks the sync protocol: registers, then syncs every `everyMs`, holding
 * whatever list version the server sends it (for the tools' --wait and fleet tests).
 */
export async function startSyncingUnit(server: string, token: string, machine: string, everyMs = 200): Promise<{ held: () => number; stop: () => void }> {
  const reg = (await fetch(server + '/api/admin/units', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ machine }),
  }).then((r) => r.json())) as { key: string };
  let counter = 0;
  let held = 0;
  let digest = '';
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const once = async () => {
    counter++;
    try {
      const res = await postSync(server, reg.key, idleSync(machine, counter, counter * everyMs, held, digest));
      const j = (await res.json()) as { list?: ListUpdate | null };
      // takes what the server announces (its version and digest) without fetching the bytes
      if (res.ok && j.list && isHex64(j.list.digest)) {
        held = j.list.version;
        digest = j.list.digest;
      }
    } catch {
      // the server went away: the loop stops with the test
    }
    if (!stopped) timer = setTimeout(once, everyMs);
  };
  await once();
  return {
    held: () => held,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
