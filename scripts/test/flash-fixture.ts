// Fixtures for the flash tests against the real interpreter: everything runs inside the test
// file's own network namespace (netns.ts): the server, the interpreter's telnet console on 2323,
// the espruino CLI the flash tool starts, and the simulated units.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIRMWARE_PATH } from '@fobgate/device/ensure-firmware';
import { TELNET_PORT } from './telnet-interpreter.js';
import { TEST_TOKEN, type ServerProcess } from './server-process.js';

// Not ASCII: the config digest must be taken over the UTF-8 bytes the unit stores.
export const WIFI_PASSWORD = 'hunter2-wifi-p\u00e4ssw\u00f6rd';

export function secretsFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fobgate-flash-secrets-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const p = join(dir, 'secrets.json');
  writeFileSync(p, JSON.stringify({ wifi: { ssid: 'makerspace', password: WIFI_PASSWORD } }), { mode: 0o600 });
  return p;
}

export function toolEnv(server: ServerProcess): NodeJS.ProcessEnv {
  return { FOBGATE_SERVER: server.url, FOBGATE_ADMIN_TOKEN: TEST_TOKEN };
}

/** Output lines of the tool with the moment (performance.now()) each was printed. */
export function timedIo(): { lines: { at: number; text: string; err: boolean }[]; io: { out: (l: string) => void; err: (l: string) => void }; all: () => string; at: (re: RegExp) => number } {
  const lines: { at: number; text: string; err: boolean }[] = [];
  return {
    lines,
    io: {
      out: (l) => lines.push({ at: performance.now(), text: l, err: false }),
      err: (l) => lines.push({ at: performance.now(), text: l, err: true }),
    },
    all: () => lines.map((l) => l.text).join('\n'),
    at: (re) => {
      const hit = lines.find((l) => re.test(l.text));
      if (!hit) throw new Error('the tool never printed ' + re + ':\n' + lines.map((l) => l.text).join('\n'));
      return hit.at;
    },
  };
}

/**
 * Evaluates `expr` at the interpreter's console over our own telnet connection (the flash tool
 * must not be connected) and returns what it printed for it.
 */
export function consoleEval(expr: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(TELNET_PORT, '127.0.0.1');
    let buf = '';
    const mark = 'EVAL' + Math.random().toString(36).slice(2, 8) + '=';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer to ${expr} in ${timeoutMs} ms: ${JSON.stringify(buf.slice(-300))}`));
    }, timeoutMs);
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf(mark);
      const nl = i >= 0 ? buf.indexOf('\r\n', i) : -1;
      if (nl > 0) {
        clearTimeout(timer);
        s.destroy();
        resolve(buf.slice(i + mark.length, nl));
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('connect', () => s.write(`\x10print(${JSON.stringify(mark.slice(0, 4))}+${JSON.stringify(mark.slice(4))}+(${expr}))\n`));
  });
}

export function firmwareText(): string {
  return readFileSync(FIRMWARE_PATH, 'latin1');
}

export async function unitKeys(server: ServerProcess, machine: string): Promise<{ unit: { unit_id: string } | null; pending: { unit_id: string; verified: boolean } | null }> {
  const r = await fetch(`${server.url}/api/admin/units/${machine}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  return (await r.json()) as never;
}

export async function eventTypes(server: ServerProcess, machine: string): Promise<string[]> {
  const r = await fetch(`${server.url}/api/admin/events?machine=${machine}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  return ((await r.json()) as { events: { type: string }[] }).events.map((e) => e.type).reverse();
}
