// One list scenario in the real interpreter, run at 16,383 and at 12,000 variables by the two
// lists-*.test.ts files: a list too large to travel inline (downloaded in pieces into flash), a
// member far in it decided with the name from flash, a delta adding and removing members, the
// memory usage (idle after a GC, peak sampled around flash/crypto/JSON/timer/HTTP calls) of each
// phase, and a power cut right after the delta.
import * as assert from 'uvu/assert';
import type { VarCount } from './binary.js';
import { E2EServer, member, startInterpUnit, untilEvent, untilListVersion, type InterpHandle } from './harness.js';

export const LIST_MEMBERS = 600;

function fobOf(i: number): string {
  return String(30000000 + i * 7).padStart(10, '0');
}

export function listMembers(n: number): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) out.push(member(String(5000 + i), 'Member' + i, fobOf(i), ['Lathe']));
  return out;
}

export interface ListFigures {
  download: { idle: number; peak: number };
  delta: { idle: number; peak: number };
  tap: { peak: number };
}

/** The whole scenario; returns the memory figures (variables). */
export async function listScenario(vars: VarCount): Promise<ListFigures> {
  const members = listMembers(LIST_MEMBERS);
  const server = new E2EServer({ members, machines: { lathe: { authorizations_or: ['Lathe'] } } });
  await server.start();
  let h: InterpHandle | null = null;
  try {
    h = await startInterpUnit(server, 'lathe', { vars, sampleFromBoot: true });
    const u = h.unit;
    // the first sync announces the list as `fetch`; the unit downloads it in pieces
    await untilListVersion(server, 'lathe', 1, 120_000);
    await u.untilLcd('Please Insert\nRFID Card', 60_000);
    const afterDownload = await u.memory();
    assert.is(afterDownload.total, vars);
    assert.equal(await u.errorFlags(), [], 'no memory trouble during the download');
    const far = LIST_MEMBERS - 3;
    await u.insertFob(fobOf(far));
    await u.untilLcd('Welcome,\nMember' + far);
    assert.ok(u.relay);
    await u.removeFob();
    await u.untilLcd('Please Insert\nRFID Card');
    // a delta: two members added, one removed
    await u.sampling(true);
    const next = members.slice(1).concat([member('9001', 'Newbie', '0000123456', ['Lathe']), member('9002', 'Second', '0000123457', ['Lathe'])]);
    const put = await server.admin('PUT', '/api/admin/users', next);
    assert.is(put.status, 200, JSON.stringify(put.json));
    await untilListVersion(server, 'lathe', 2, 60_000);
    const afterDelta = await u.memory();
    assert.equal(await u.errorFlags(), [], 'no memory trouble applying the delta');
    await u.sampling(true);
    await u.insertFob('0000123456');
    await u.untilLcd('Welcome,\nNewbie');
    assert.ok(u.relay);
    await u.removeFob();
    await u.untilLcd('Please Insert\nRFID Card');
    await u.insertFob(fobOf(0));
    await u.untilLcd('Unknown RFID\n');
    assert.not.ok(u.relay, 'the removed member is refused');
    await u.removeFob();
    const afterTaps = await u.memory();
    await untilEvent(server, 'lathe', 'denied', (e) => e.fob === fobOf(0));
    // a power cut: the unit comes back with list v2 from flash, relays off
    const from = u.lines.length;
    await u.powerCycle();
    await u.waitLine(/^fobgate \S+ on lathe: boot \d+, list v2/, 60_000, from);
    await u.untilLcd('Please Insert\nRFID Card');
    assert.not.ok(u.relay);
    await u.insertFob('0000123457');
    await u.untilLcd('Welcome,\nSecond');
    await u.removeFob();
    assert.equal(u.problems, []);
    assert.equal(u.selfExits, [], 'the interpreter never ended by itself');
    return {
      download: { idle: afterDownload.usage, peak: afterDownload.peak },
      delta: { idle: afterDelta.usage, peak: afterDelta.peak },
      tap: { peak: afterTaps.peak },
    };
  } finally {
    if (h) await h.unit.close();
    await server.close();
  }
}

export function describeFigures(vars: number, f: ListFigures): string {
  const pct = (n: number) => ((n / vars) * 100).toFixed(1) + ' %';
  return `  ${vars} vars, ${LIST_MEMBERS} members: after the download idle ${f.download.idle} (${pct(f.download.idle)}), peak ${f.download.peak} (${pct(f.download.peak)}); ` +
    `delta idle ${f.delta.idle}, peak ${f.delta.peak} (${pct(f.delta.peak)}); taps peak ${f.tap.peak} (${pct(f.tap.peak)})`;
}
