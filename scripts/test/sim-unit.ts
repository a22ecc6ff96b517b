// A fobgate unit for the tools' tests: the BUILT firmware running in the device simulator in
// real time against the real server, registered through the admin API and flashed with its key.
// It signs its syncs, verifies every list and delta before it keeps it, and reports what it holds
// exactly as a unit on a machine does: no re-implementation of the protocol here.
import { SYNC_PATH } from '@fobgate/shared';
import { UnitSim } from '@fobgate/device/unit-sim';

export interface SimUnit {
  unit: UnitSim;
  machine: string;
  /** Status of every answered sync sent at or after `sinceMs` (performance.now() ms), in order. */
  statuses(sinceMs?: number): number[];
  /** The list version the firmware reported holding in its latest sync (after verifying it). */
  heldVersion(): number;
  /** Waits (real time) until `pred` holds; false after `timeoutMs`. */
  until(pred: () => boolean, timeoutMs: number): Promise<boolean>;
  stop(): void;
}

export async function startSimUnit(server: string, token: string, machine: string, opts: { syncIntervalS?: number } = {}): Promise<SimUnit> {
  const r = await fetch(server + '/api/admin/units', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ machine }),
  });
  if (r.status !== 200) throw new Error(`register ${machine}: ${r.status} ${await r.text()}`);
  const { key } = (await r.json()) as { key: string };
  const unit = new UnitSim({ storagePath: null, settleCapMs: 15_000 });
  unit.flash({
    config: {
      machine,
      server_url: server,
      key,
      wifi: { ssid: 'makerspace', password: 'not-a-real-password' },
      profile: 'esp32',
      pins: {},
      i2c_address: 0x27,
      sync_interval_s: opts.syncIntervalS ?? 1,
    },
  });
  unit.boot();
  unit.clock.startRealTime(10);
  const syncs = () => unit.http.log.filter((x) => x.path === SYNC_PATH && x.outcome === 'ok');
  const sim: SimUnit = {
    unit,
    machine,
    statuses: (sinceMs = 0) => syncs().filter((x) => x.real >= sinceMs).map((x) => x.status ?? 0),
    heldVersion: () => {
      const last = syncs().slice(-1)[0];
      return last ? (JSON.parse(last.body) as { list_version: number }).list_version : 0;
    },
    until: async (pred, timeoutMs) => {
      const end = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > end) return false;
        await new Promise((res) => setTimeout(res, 50));
      }
      return true;
    },
    stop: () => unit.close(),
  };
  if (!(await sim.until(() => sim.statuses().includes(200), 30_000))) {
    const last = unit.http.log.slice(-3).map((x) => `${x.outcome} ${x.status ?? ''} ${x.error ?? ''}`);
    sim.stop();
    throw new Error(`the simulated unit for ${machine} did not sync: ${last.join(' | ')}; console: ${unit.consoleLines.slice(-5).join(' | ')}`);
  }
  return sim;
}
