// Scenario fixtures for the interpreter tier: a real fobgate server on loopback (the e2e one), a
// unit registered through the admin API, flashed with the BUILT firmware, the board stand-in and
// its config, booted from Storage in the real interpreter at 16,383 or 12,000 variables.
import { ensureFirmware, E2EServer, FOBS, MACHINES, MEMBERS, member } from '../e2e/harness.js';
import type { VarCount } from './binary.js';
import { InterpUnit } from './interp-unit.js';

export { ensureFirmware, E2EServer, FOBS, MACHINES, MEMBERS, member };
export { InterpUnit };
export { interpreterPresent, interpreterMissing, interpreterVia } from './binary.js';

export interface InterpHandle {
  unit: InterpUnit;
  key: string;
  config: Record<string, unknown>;
}

export interface StartOptions {
  vars?: VarCount;
  /** Seconds between syncs (default 1: the tier runs in real time). */
  syncIntervalS?: number;
  /** Extra or replaced config fields (e.g. reader_bits). */
  config?: Record<string, unknown>;
  echo?: boolean;
  /** Sample memory from boot on (InterpUnit.memory().peak then covers the first sync). */
  sampleFromBoot?: boolean;
  /** Benchmarks: the interpreter at real-time priority (InterpUnitOptions.realtime). */
  realtime?: boolean;
  /** The program flashed as .bootcde (default: the built device/dist/firmware.js). */
  firmware?: string;
}

/** The config a flash tool would write for this unit. */
export function unitConfig(server: E2EServer, machine: string, key: string, opts: StartOptions = {}): Record<string, unknown> {
  return {
    machine,
    server_url: server.url,
    key,
    wifi: { ssid: 'makerspace', password: 'not-a-real-password' },
    profile: 'esp32',
    pins: {},
    i2c_address: 0x27,
    sync_interval_s: opts.syncIntervalS ?? 1,
    ...(opts.config ?? {}),
  };
}

/** Registers the machine's unit, flashes firmware + stand-in + config, boots it and waits for its boot line. */
export async function startInterpUnit(server: E2EServer, machine: string, opts: StartOptions = {}): Promise<InterpHandle> {
  const r = await server.admin('POST', '/api/admin/units', { machine });
  if (r.status !== 200) throw new Error('register ' + machine + ': ' + r.status + ' ' + JSON.stringify(r.json));
  const key = (r.json as { key: string }).key;
  const config = unitConfig(server, machine, key, opts);
  const unit = new InterpUnit({ vars: opts.vars ?? 16383, echo: opts.echo, realtime: opts.realtime });
  try {
    await unit.install({ config, sampleFromBoot: opts.sampleFromBoot, firmware: opts.firmware });
    await unit.waitBoot(30_000);
  } catch (e) {
    // the caller never gets this unit to close: stop its interpreter and control server here, or
    // they keep the test process alive until the runner kills it
    await unit.close();
    throw e;
  }
  return { unit, key, config };
}

/** Waits until the unit holds list version >= v (its console says so at boot; the server's fleet view otherwise). */
export async function untilListVersion(server: E2EServer, machine: string, version: number, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < end) {
    const r = await server.admin('GET', '/api/admin/machines');
    const rows = (r.json as { machines: Array<{ name: string; list_version_held?: number | null }> }).machines;
    const row = rows.find((m) => m.name === machine);
    last = row ? row.list_version_held : null;
    if (typeof last === 'number' && last >= version) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(machine + ' did not report list v' + version + ' within ' + timeoutMs + ' ms (reports ' + JSON.stringify(last) + ')');
}

/** Waits until the server stored an event of `type` from the machine matching `pred`. */
export async function untilEvent(server: E2EServer, machine: string, type: string, pred: (e: Record<string, unknown>) => boolean = () => true, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const evs = (await server.events(machine)) as unknown as Array<Record<string, unknown>>;
    const hit = evs.find((e) => e.type === type && pred(e));
    if (hit) return hit;
    if (Date.now() > end) throw new Error('no ' + type + ' event from ' + machine + ' within ' + timeoutMs + ' ms; have: ' + evs.slice(0, 8).map((e) => e.type).join(', '));
    await new Promise((res) => setTimeout(res, 200));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
