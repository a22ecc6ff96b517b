// `npm run sim -- --machine <name>`: one simulated unit running the built firmware in real time
// against a running server, drawn in the terminal (the 2x16 LCD, LED colour, relays, oops LED,
// sync status). Keys: a fob code (or a preset number) + Enter inserts a fob, `r` removes it,
// `o` presses oops, `q` quits. With --register (and ADMIN_TOKEN) it registers the unit through the
// admin API and writes the board config into the simulated flash; the key is never printed.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureFirmware, REPO_ROOT as ROOT } from '../build/ensure-firmware.js';
import { CONFIG_FILE, UnitSim } from './unit-sim.js';

export const USAGE = `usage: npm run sim -- --machine <name> [--server http://127.0.0.1:3000]
                     [--key <64 hex> | --register]   (--register needs ADMIN_TOKEN in the environment)
                     [--flash <file>] [--profile esp32|host] [--erase]
keys: a fob code or a preset number, then Enter = insert fob; r = remove; o = oops; q = quit`;

export interface CliOptions {
  machine: string;
  server: string;
  key: string | null;
  register: boolean;
  flash: string;
  profile: 'esp32' | 'host';
  erase: boolean;
}

export type Parsed = { ok: true; value: CliOptions } | { ok: false; error: string };

export function parseArgs(argv: string[], cwd: string): Parsed {
  const o: Partial<CliOptions> = { server: 'http://127.0.0.1:3000', key: null, register: false, profile: 'esp32', erase: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string | null => (i + 1 < argv.length ? argv[++i] : null);
    if (a === '--machine') o.machine = value() ?? '';
    else if (a === '--server') o.server = value() ?? '';
    else if (a === '--key') o.key = value();
    else if (a === '--register') o.register = true;
    else if (a === '--flash') o.flash = value() ?? '';
    else if (a === '--erase') o.erase = true;
    else if (a === '--profile') {
      const p = value();
      if (p !== 'esp32' && p !== 'host') return { ok: false, error: '--profile must be esp32 or host' };
      o.profile = p;
    } else if (a === '--help' || a === '-h') return { ok: false, error: '' };
    else return { ok: false, error: 'unknown option ' + JSON.stringify(a) };
  }
  if (!o.machine || !/^[a-z0-9_-]+$/.test(o.machine)) return { ok: false, error: '--machine <name> is required (a-z, 0-9, _ and -)' };
  if (!/^http:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(o.server || '')) return { ok: false, error: '--server must look like http://host:port' };
  o.server = o.server!.replace(/\/$/, '');
  if (o.key !== null && !/^[0-9a-fA-F]{64}$/.test(o.key || '')) return { ok: false, error: '--key must be 64 hex characters' };
  if (o.key && o.register) return { ok: false, error: 'give either --key or --register, not both' };
  o.flash = resolve(cwd, o.flash || join(ROOT, 'data', 'sim', o.machine + '.flash.json'));
  return { ok: true, value: o as CliOptions };
}

interface Preset {
  name: string;
  fob: string;
}

async function adminCall(server: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(server + path, {
      method,
      headers: { authorization: 'Bearer ' + token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    const cause = e && typeof e === 'object' && 'cause' in e ? (e as { cause?: { code?: string; message?: string } }).cause : undefined;
    const why = cause ? cause.code || cause.message : '';
    throw new Error('cannot reach the server at ' + server + (why ? ' (' + why + ')' : ''), { cause: e });
  }
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text) };
  } catch {
    return { status: res.status, json: text };
  }
}

function errorText(json: unknown): string {
  return json && typeof json === 'object' && 'error' in json ? String((json as { error: unknown }).error) : String(json);
}

/** Registers the unit (a new key) and returns it. */
async function register(o: CliOptions, token: string): Promise<string> {
  const r = await adminCall(o.server, token, 'POST', '/api/admin/units', { machine: o.machine });
  if (r.status !== 200) throw new Error('registering ' + o.machine + ' failed: HTTP ' + r.status + ': ' + errorText(r.json));
  return (r.json as { key: string }).key;
}

/** Members who may use this machine, for the number keys (needs the admin token). */
async function presets(o: CliOptions, token: string | undefined): Promise<Preset[]> {
  if (!token) return [];
  try {
    const r = await adminCall(o.server, token, 'GET', '/api/admin/users');
    if (r.status !== 200 || !Array.isArray(r.json)) return [];
    return (r.json as Array<{ preferred_name?: string; fob_codes?: string[] }>)
      .filter((u) => Array.isArray(u.fob_codes) && u.fob_codes.length > 0)
      .slice(0, 9)
      .map((u) => ({ name: String(u.preferred_name || '?'), fob: String(u.fob_codes![0]) }));
  } catch {
    return [];
  }
}

function syncStatus(unit: UnitSim): string {
  const log = unit.http.log;
  if (!log.length) return 'no sync yet';
  const last = log[log.length - 1];
  const ago = Math.round((unit.clock.now - last.t) / 1000);
  if (last.outcome === 'ok') return 'HTTP ' + last.status + ' ' + ago + ' s ago';
  if (last.outcome === 'pending') return 'waiting for the server';
  let fails = 0;
  for (let i = log.length - 1; i >= 0 && log[i].outcome !== 'ok'; i--) fails++;
  return 'offline (' + last.outcome + ', ' + fails + ' failed) last try ' + ago + ' s ago';
}

/** The unit as text: the LCD boxed, then LED, relays, oops LED, sync status. */
export function renderUnit(unit: UnitSim, machine: string, color: boolean): string {
  const [l1, l2] = unit.lcdLines;
  const rgb = unit.ledRgb;
  const led = rgb ? (color ? '\x1b[38;2;' + Math.min(255, rgb[0] * 3) + ';' + Math.min(255, rgb[1] * 3) + ';' + Math.min(255, rgb[2] * 3) + 'm\u25cf\x1b[0m ' : '') + 'rgb(' + rgb.join(',') + ')' : 'off';
  const onOff = (b: boolean) => (b ? 'ON ' : 'off');
  return [
    'fobgate unit "' + machine + '" (simulated)',
    '+----------------+',
    '|' + l1 + '|',
    '|' + l2 + '|',
    '+----------------+',
    'LED: ' + led,
    'relay: ' + onOff(unit.relay) + '  second relay: ' + onOff(unit.secondRelay) + '  oops LED: ' + onOff(unit.oopsLed),
    'fob: ' + (unit.fobInserted ? 'in the slot' : 'none') + '  sync: ' + syncStatus(unit),
  ].join('\n');
}

/** The unit's key: a new registration, --key, or the one its flash holds for this machine and server; else the exit code. */
async function unitKey(o: CliOptions, unit: UnitSim, token: string | undefined): Promise<string | number> {
  let key = o.key;
  if (o.register) {
    try {
      key = await register(o, token!);
    } catch (e) {
      process.stderr.write('sim: ' + (e as Error).message + '\n');
      return 1;
    }
  }
  const existing = unit.storage.text(CONFIG_FILE);
  if (!key && existing) {
    try {
      const cfg = JSON.parse(existing) as { machine?: string; server_url?: string; key?: string };
      if (cfg.machine === o.machine && cfg.server_url === o.server && typeof cfg.key === 'string') key = cfg.key;
    } catch {
      // rewritten below or refused
    }
  }
  if (!key) {
    process.stderr.write('sim: no key for ' + o.machine + ': give --key, or --register with ADMIN_TOKEN set\n');
    return 2;
  }
  return key;
}

/** The running unit on the terminal: its screen redrawn, fobs typed in (or piped), until q. */
function interact(unit: UnitSim, machine: string, fobs: Preset[], tty: boolean): Promise<number> {
  let last = '';
  let typed = '';
  const draw = (force: boolean): void => {
    const screen = renderUnit(unit, machine, tty);
    const keys = fobs.length ? '\npresets: ' + fobs.map((f, i) => i + 1 + '=' + f.name).join('  ') : '';
    const out = screen + keys + '\n' + (tty ? '> ' + typed : '');
    if (!force && out === last) return;
    last = out;
    if (tty) process.stdout.write('\x1b[2J\x1b[H' + out);
    else process.stdout.write(screen + keys + '\n\n');
  };
  const drawTimer = setInterval(() => draw(false), 100);

  const insert = (code: string): void => {
    const preset = /^[1-9]$/.test(code) && fobs[Number(code) - 1] ? fobs[Number(code) - 1].fob : code;
    if (!/^\d{1,10}$/.test(preset)) return;
    void (async () => {
      if (unit.fobInserted) await unit.removeFob();
      await unit.insertFob(preset);
    })();
  };

  return new Promise<number>((done) => {
    const quit = (): void => {
      clearInterval(drawTimer);
      if (tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      unit.close();
      process.stdout.write('\nbye\n');
      done(0);
    };
    const command = (line: string): void => {
      const c = line.trim();
      if (c === 'q') quit();
      else if (c === 'r') void unit.removeFob();
      else if (c === 'o') void unit.pressOops();
      else if (c) insert(c);
    };
    process.stdin.setEncoding('utf8');
    if (tty) {
      process.stdin.setRawMode(true);
      process.stdin.on('data', (s: string) => {
        for (const ch of s) {
          if (ch === '\u0003' || (ch === 'q' && !typed)) return quit();
          if (ch === '\r' || ch === '\n') {
            command(typed);
            typed = '';
          } else if (ch === '\u007f') typed = typed.slice(0, -1);
          else if (/\d/.test(ch)) typed += ch;
          else if ((ch === 'r' || ch === 'o') && !typed) command(ch);
        }
        draw(true);
      });
    } else {
      let buf = '';
      process.stdin.on('data', (s: string) => {
        buf += s;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          command(line);
        }
      });
      process.stdin.on('end', quit);
    }
    draw(true);
  });
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const parsed = parseArgs(argv, cwd);
  if (!parsed.ok) {
    process.stderr.write((parsed.error ? 'sim: ' + parsed.error + '\n' : '') + USAGE + '\n');
    return parsed.error ? 2 : 0;
  }
  const o = parsed.value;
  const token = env.ADMIN_TOKEN;
  if (o.register && !token) {
    process.stderr.write('sim: --register needs ADMIN_TOKEN in the environment\n');
    return 2;
  }
  try {
    ensureFirmware();
  } catch (e) {
    process.stderr.write('sim: ' + (e as Error).message + '\n');
    return 1;
  }
  mkdirSync(dirname(o.flash), { recursive: true, mode: 0o700 }); // the flash file holds the unit key
  const unit = new UnitSim({ storagePath: o.flash, profile: o.profile });
  if (o.erase) unit.storage.eraseAll();
  const key = await unitKey(o, unit, token);
  if (typeof key === 'number') {
    unit.close();
    return key;
  }
  unit.flash({
    config: {
      machine: o.machine,
      server_url: o.server,
      key,
      wifi: o.profile === 'esp32' ? { ssid: 'simulated', password: 'simulated' } : null,
      profile: o.profile,
      pins: {},
      i2c_address: 0x27,
      sync_interval_s: 5,
    },
  });
  const fobs = await presets(o, token);
  const tty = !!process.stdin.isTTY && !!process.stdout.isTTY;
  unit.boot();
  unit.clock.startRealTime(10);

  return interact(unit, o.machine, fobs, tty);
}

const invokedDirectly = process.argv[1] && existsSync(process.argv[1]) && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2), process.env, process.cwd()).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write('sim: ' + String(e && (e as Error).message ? (e as Error).message : e) + '\n');
      process.exit(1);
    },
  );
}
