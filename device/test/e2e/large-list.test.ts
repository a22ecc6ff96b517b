// End to end, lists of every size: a real server and the built firmware in the simulator with
// the chip's limits (12,000 variables: every string handed to a native must fit, see
// sim/ram-model.ts; 896 KB of flash; 24.7 KB hash inputs; 536-byte network chunks). Any change
// (0 -> 16,000 members, everyone replaced, back to 0; deltas of every size) must reach the unit
// and decide its fobs; tampered, truncated and rolled-back transfers are refused with the held
// list kept in force. Each test starts its own server and unit (no test depends on another), and
// waits for outcomes in simulated time only.
// @timeout 600 (16,000-member lists built, sent and checked four times over; slow on a busy machine)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIST_PATH, SIGNATURE_HEADER, SYNC_PATH, type ListUpdate } from '@fobgate/shared';
import { UnitSim } from '../../sim/unit-sim.js';
import { E2EServer, ensureFirmware, healthy, member, sign } from './harness.js';

/** Simulated ms a list change may take to reach the unit (syncs every 5 s, back-off up to 60 s). */
const REACH_MS = 600_000;

function fobOf(i: number, base = 20000000): string {
  return String(base + i * 13).padStart(10, '0');
}

function members(n: number, base = 20000000, tag = 'Member'): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) out.push(member(String(base + i), tag + i, fobOf(i, base), ['Lathe']));
  return out;
}

interface Rig {
  server: E2EServer;
  unit: UnitSim;
  key: string;
}

async function start(initial: Record<string, unknown>[]): Promise<Rig> {
  ensureFirmware();
  const server = new E2EServer({ members: initial, machines: { lathe: { authorizations_or: ['Lathe'] } } });
  await server.start();
  const reg = await server.admin('POST', '/api/admin/units', { machine: 'lathe' });
  assert.is(reg.status, 200, JSON.stringify(reg.json));
  const key = (reg.json as { key: string }).key;
  const unit = new UnitSim({ storagePath: null, settleCapMs: 15_000, memoryTotal: 12000 });
  unit.flash({
    config: {
      machine: 'lathe', server_url: server.url, key, wifi: { ssid: 'makerspace', password: 'not-a-real-password' },
      profile: 'esp32', pins: {}, i2c_address: 0x27, sync_interval_s: 5,
    },
  });
  unit.boot();
  return { server, unit, key };
}

async function stop(r: Rig): Promise<void> {
  r.unit.close();
  await r.server.close();
}

/** The members file changes (as `npm run users -- import` writes it) and the server reloads it. */
async function importMembers(r: Rig, list: Record<string, unknown>[]): Promise<number> {
  writeFileSync(join(r.server.dir, 'users.json'), JSON.stringify(list));
  for (let k = 0; k < 20; k++) {
    const res = await r.server.admin('POST', '/api/reload-users');
    if (res.status === 200) return latest(r);
    // 503 while the machine is busy saving: the import is retried, as the admin tool does
    assert.is(res.status, 503, JSON.stringify(res.json));
  }
  throw new Error('reload kept failing');
}

async function latest(r: Rig): Promise<number> {
  const res = await r.server.admin('GET', '/api/admin/machines');
  return (res.json as { list_version_latest: number }).list_version_latest;
}

/** The list version the unit reported in its last sync request. */
function held(u: UnitSim): number {
  const last = u.http.log.filter((x) => x.path === SYNC_PATH).pop();
  const m = last ? /"list_version":(\d+),/.exec(last.body) : null;
  return m ? Number(m[1]) : -1;
}

async function reaches(r: Rig, version: number): Promise<void> {
  const ok = await r.unit.until(() => held(r.unit) >= version, REACH_MS, 200);
  assert.ok(ok, 'the unit holds v' + version + ' (holds v' + held(r.unit) + '); console: ' + r.unit.consoleLines.slice(-4).join(' | '));
}

/** Inserts a fob, reads the LCD, removes the fob. */
async function tap(u: UnitSim, fob: string): Promise<string> {
  await u.insertFob(fob);
  await u.advance(100);
  const text = u.lcdText;
  const relay = u.relay;
  await u.removeFob();
  await u.advance(50);
  return (relay ? 'ON ' : 'off ') + text.split('\n').map((l) => l.trim()).filter((l) => l).join(' / ');
}

/** The list updates the server announced since log index `from`. */
function updates(u: UnitSim, from = 0): ListUpdate[] {
  const out: ListUpdate[] = [];
  for (const x of u.http.log.slice(from)) {
    if (x.path !== SYNC_PATH || !x.responseBody) continue;
    try {
      const b = JSON.parse(x.responseBody) as { list?: ListUpdate | null };
      if (b.list) out.push(b.list);
    } catch {
      // a tampered answer in some tests
    }
  }
  return out;
}

async function rejections(r: Rig): Promise<string[]> {
  return (await r.server.events('lathe')).filter((e) => e.type === 'list_rejected').map((e) => String(e.reason));
}

test('0 -> 16,000 members -> all 16,000 replaced -> 0 reach a unit with 12,000 variables, in bounded pieces', async () => {
  const r = await start([]);
  try {
    const u = r.unit;
    await reaches(r, await latest(r));
    assert.is(await tap(u, fobOf(5)), 'off Unknown RFID');
    const v1 = await importMembers(r, members(16000));
    const from = u.http.log.length;
    await reaches(r, v1);
    assert.is(await tap(u, fobOf(15999)), 'ON Welcome, / Member15999');
    assert.is(await tap(u, fobOf(0)), 'ON Welcome, / Member0');
    const up = updates(u, from).filter((x) => x.version === v1);
    assert.ok(up.length >= 1 && up.every((x) => x.kind === 'full' && x.data === undefined), 'announced as a full list to download');
    const downloads = u.http.log.slice(from).filter((x) => x.path === LIST_PATH && x.status === 200);
    assert.ok(downloads.length >= 1);
    const bytes = (downloads[downloads.length - 1].responseBody || '').length;
    assert.ok(bytes > 16000 * 21, 'the list is ' + bytes + ' bytes');
    const v2 = await importMembers(r, members(16000, 60000000, 'Other'));
    await reaches(r, v2);
    assert.is(await tap(u, fobOf(15999)), 'off Unknown RFID', 'the replaced member is gone');
    assert.is(await tap(u, fobOf(123, 60000000)), 'ON Welcome, / Other123');
    const v3 = await importMembers(r, []);
    await reaches(r, v3);
    assert.is(await tap(u, fobOf(123, 60000000)), 'off Unknown RFID');
    const answers = u.http.log.filter((x) => x.path === SYNC_PATH && x.outcome === 'ok').map((x) => (x.responseBody || '').length);
    assert.ok(Math.max(...answers) < 4096, 'sync answers stay small: ' + Math.max(...answers));
    assert.ok(u.ram.largest <= 4096, 'largest string a native took: ' + u.ram.largest + ' characters (' + u.ram.largestAt + ')');
    assert.equal(await rejections(r), []);
    healthy(u);
    const stats = u.storage.getStats();
    console.log('  lists: 16,000 members = ' + bytes + '-byte list; largest string handed to a native ' + u.ram.largest + ' chars (' + u.ram.largestAt + ') of ' + u.ram.maxString() + ' possible at ' + u.ram.total + ' variables; flash ' + stats.fileBytes + ' bytes in files');
  } finally {
    await stop(r);
  }
});

test('deltas of every size reach the unit: 1, 10, 100, 1,000 and 4,000 members changed on 5,000', async () => {
  let list = members(5000);
  const r = await start(list);
  try {
    const u = r.unit;
    await reaches(r, await latest(r));
    let n = 0;
    for (const changed of [1, 10, 100, 1000, 4000]) {
      n++;
      // `changed` members leave, `changed` others join, and one is renamed
      const next = list.slice(changed).concat(members(changed, 30000000 + n * 1000000, 'New' + n + '-'));
      next[0] = Object.assign({}, next[0], { preferred_name: 'Renamed' + n });
      const renamedFob = (next[0].fob_codes as string[])[0];
      const gone = (list[0].fob_codes as string[])[0];
      const from = u.http.log.length;
      const v = await importMembers(r, next);
      await reaches(r, v);
      const got = updates(u, from).filter((x) => x.version === v);
      assert.ok(got.length >= 1);
      const how = got[got.length - 1];
      console.log('  lists: ' + changed + ' of 5,000 changed: ' + how.kind + ' of ' + how.bytes + ' bytes, ' + (how.data ? 'inline' : 'downloaded'));
      assert.is(await tap(u, gone), 'off Unknown RFID', changed + ' changed: a member who left');
      assert.is(await tap(u, fobOf(changed - 1, 30000000 + n * 1000000)), 'ON Welcome, / New' + n + '-' + (changed - 1));
      assert.is(await tap(u, renamedFob), 'ON Welcome, / Renamed' + n);
      list = next;
    }
    const kinds = updates(u).map((x) => x.kind + (x.data ? ' inline' : ' download'));
    assert.ok(kinds.indexOf('delta inline') >= 0, 'small changes travel inline: ' + kinds.join(', '));
    assert.ok(kinds.indexOf('delta download') >= 0, 'larger deltas are downloaded: ' + kinds.join(', '));
    assert.equal(await rejections(r), []);
    healthy(u);
  } finally {
    await stop(r);
  }
});

/** Reasons of the list_rejected events the unit has sent so far (from its sync requests). */
function reportedReasons(u: UnitSim): string[] {
  const out: string[] = [];
  for (const x of u.http.log) {
    if (x.path !== SYNC_PATH) continue;
    try {
      const body = JSON.parse(x.body) as { events: Array<{ type: string; reason?: string; seq: number }> };
      for (const e of body.events) if (e.type === 'list_rejected' && out.indexOf(e.seq + ' ' + e.reason) < 0) out.push(e.seq + ' ' + e.reason);
    } catch {
      // not a sync body
    }
  }
  return out.map((x) => x.substring(x.indexOf(' ') + 1));
}

test('tampered, truncated, failed and rolled-back transfers are refused; the held list stays in force; then the change applies', async () => {
  const r = await start(members(5000));
  try {
    const u = r.unit;
    const v1 = await latest(r);
    await reaches(r, v1);
    const first = updates(u).find((x) => x.version === v1)!;
    assert.ok(first, 'the first list was announced');
    // the unit moves on to v1b, so the first list's genuine announcement is now a rollback
    const v1b = await importMembers(r, members(5000).concat(members(1, 70000000, 'Extra')));
    await reaches(r, v1b);
    // a change that travels as a download
    const v2 = await importMembers(r, members(5000).slice(0, 4000).concat(members(300, 40000000, 'Joiner')));
    // each way a transfer can go wrong, until the unit has reported it: a byte of every download
    // altered on the way; every download cut short; the server busy (503); an old genuine
    // announcement replayed into every (re-signed) sync answer, a rollback
    let mode = '';
    u.http.hook = (ex, res) => {
      if (ex.path === LIST_PATH && res.status === 200) {
        if (mode === 'tamper') {
          const i = Math.floor(res.body.length * 0.6);
          return { ...res, body: res.body.substring(0, i) + (res.body.charAt(i) === 'A' ? 'B' : 'A') + res.body.substring(i + 1) };
        }
        if (mode === 'truncate') return { ...res, body: res.body.substring(0, res.body.length - 1000) };
        if (mode === 'busy') return { status: 503, headers: { 'content-type': 'application/json' }, body: '{"error":"state save timeout","code":"SAVE_TIMEOUT"}' };
      }
      if (ex.path === SYNC_PATH && res.status === 200 && mode === 'rollback' && res.body.indexOf('"list":{') >= 0) {
        const body = JSON.parse(res.body) as { list: unknown };
        body.list = first;
        const text = JSON.stringify(body);
        const headers = { ...res.headers };
        for (const k of Object.keys(headers)) if (k.toLowerCase() === SIGNATURE_HEADER) headers[k] = sign(r.key, text);
        return { status: 200, headers, body: text };
      }
      return res;
    };
    for (const [m, reason] of [['tamper', 'LIST_DIGEST'], ['truncate', 'SYNC_DOWNLOAD'], ['busy', 'SYNC_STATUS'], ['rollback', 'LIST_ROLLBACK']]) {
      mode = m;
      assert.ok(await u.until(() => reportedReasons(u).indexOf(reason) >= 0, REACH_MS, 200), m + ': reported ' + reason + ' (reported ' + reportedReasons(u).join(', ') + ')');
      assert.is(held(u), v1b, m + ': still on the held list');
    }
    // still sabotaged: the held list decides
    assert.is(await tap(u, fobOf(4500)), 'ON Welcome, / Member4500', 'the held list decides');
    assert.is(await tap(u, fobOf(10, 40000000)), 'off Unknown RFID');
    mode = '';
    u.http.hook = null;
    await reaches(r, v2);
    assert.is(await tap(u, fobOf(4500)), 'off Unknown RFID', 'the removal arrived');
    assert.is(await tap(u, fobOf(10, 40000000)), 'ON Welcome, / Joiner10');
    assert.equal(reportedReasons(u).sort(), ['LIST_DIGEST', 'LIST_ROLLBACK', 'SYNC_DOWNLOAD', 'SYNC_STATUS'], 'each reported once');
    healthy(u);
  } finally {
    await stop(r);
  }
});

test('a power cut in the middle of receiving a list: the held list is in force after the reboot, then the new one arrives', async () => {
  const r = await start(members(3000));
  try {
    const u = r.unit;
    const v1 = await latest(r);
    await reaches(r, v1);
    const v2 = await importMembers(r, members(3000, 50000000, 'Later'));
    const boots = u.boots.length;
    u.cutPowerDuringWrite(/^fgl[ab]$/, 700);
    // after the power comes back, downloads are held back until the held list was tried
    u.http.hook = (ex, res) => (ex.path === LIST_PATH && u.boots.length > boots ? 'withhold' : res);
    assert.ok(await u.until(() => u.boots.length > boots, REACH_MS, 100), 'the unit lost power while writing the new list');
    const after = u.http.log.length;
    assert.ok(await u.until(() => u.http.log.slice(after).some((x) => x.path === SYNC_PATH), 60_000, 100));
    const firstSync = u.http.log.slice(after).find((x) => x.path === SYNC_PATH)!;
    assert.ok(firstSync.body.indexOf('"list_version":' + v1 + ',') >= 0, 'the held list is in force after the reboot');
    assert.is(await tap(u, fobOf(20)), 'ON Welcome, / Member20');
    u.http.hook = null;
    await reaches(r, v2);
    assert.is(await tap(u, fobOf(20)), 'off Unknown RFID');
    assert.is(await tap(u, fobOf(20, 50000000)), 'ON Welcome, / Later20');
    healthy(u);
  } finally {
    await stop(r);
  }
});

test.run();
