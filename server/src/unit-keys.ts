// Unit keys across a unit swap. Registering a unit (what `npm run flash` does before it uploads)
// issues a key that is only *pending*: the machine's current unit keeps its key, and keeps
// syncing, until a request signed with the new key arrives, which proves the new unit holds the
// key and runs. Only then does the new key become the machine's key and the old one stop working
// (`unit_key_rotated`). A flash that fails anywhere before that (no USB device, an upload that
// breaks, a digest that does not match, a unit that never reaches the server) leaves the working
// unit alone; the flash tool also cancels the pending key it could not install.
import { createHash } from 'node:crypto';
import type { MachineConfig, UnitKeyStatus } from '@fobgate/shared';
import { newUnitKey, signatureValid } from './auth.js';
import type { Core } from './core-services.js';
import { serverEvent } from './audit-records.js';
import { errors } from './errors.js';
import type { UnitRecord } from './store.js';

/** A short public name of a key (not secret: a one-way digest of 256 random bits). */
export function unitId(key: string): string {
  return createHash('sha256').update('fobgate unit id\n' + key, 'latin1').digest('hex').slice(0, 16);
}

export interface PendingRegistration {
  machine: string;
  key: string;
  unit_id: string;
  /** unit_id of the unit this one will replace (it keeps working until then), or null. */
  replaces: string | null;
}

/**
 * Issues a pending key for the machine's next unit (replacing an earlier pending one). With
 * `holdUntilVerified` (the flash tool) the key is refused until verifyPendingUnit() is called.
 */
export function registerPendingUnit(core: Core, m: MachineConfig, holdUntilVerified = false): PendingRegistration {
  const now = core.clock();
  const active = core.store.unit(m.name);
  const key = newUnitKey();
  const id = unitId(key);
  const earlier = core.store.pendingUnit(m.name);
  core.store.setPendingUnit(m.name, { key, registered_at: now, commands: earlier ? earlier.commands : [], verified: !holdUntilVerified });
  const detail =
    (active
      ? `key ${id} issued for a new unit; the current unit (${unitId(active.key)}) keeps working until the new one's first signed request`
      : `key ${id} issued; the unit is registered at its first signed request`) + (holdUntilVerified ? ', once the flash tool has verified the upload' : '');
  const ev = serverEvent(m.name, now, 'unit_key_issued', detail);
  ev.source = 'admin';
  core.storeEvent(ev);
  return { machine: m.name, key, unit_id: id, replaces: active ? unitId(active.key) : null };
}

/** The flash tool checked the new unit's digests: its key may now take over. */
export function verifyPendingUnit(core: Core, m: MachineConfig): string {
  const pending = core.store.pendingUnit(m.name);
  if (!pending) throw errors.noPendingUnit(m.name);
  const id = unitId(pending.key);
  if (!pending.verified) {
    pending.verified = true;
    const ev = serverEvent(m.name, core.clock(), 'unit_verified', `the upload of unit ${id} was verified; its first signed request makes it the machine's unit`);
    ev.source = 'admin';
    core.storeEvent(ev);
  }
  return id;
}

/** Drops the machine's pending key (a flash that failed). True when there was one. */
export function cancelPendingUnit(core: Core, m: MachineConfig): boolean {
  const pending = core.store.pendingUnit(m.name);
  if (!pending) return false;
  core.store.setPendingUnit(m.name, null);
  const ev = serverEvent(m.name, core.clock(), 'unit_key_cancelled', `pending key ${unitId(pending.key)} withdrawn before any unit used it`);
  ev.source = 'admin';
  core.storeEvent(ev);
  // Commands an admin queued for the unit that never came are decided here instead, as for any
  // machine without a fobgate unit (an oops must not vanish with the failed flash).
  if (!core.store.unit(m.name)) {
    for (const cmd of pending.commands) core.adminAction(m, cmd.type, cmd.by, 'admin', cmd.cut);
  }
  return true;
}

/**
 * Which key signed a unit request: the machine's current unit ('active'), its pending next unit
 * ('pending'), or neither (null). Throws UNIT_NOT_REGISTERED when the machine has neither, and
 * UNIT_NOT_VERIFIED for the pending key while the flash tool has not verified the upload.
 */
export function signingKey(core: Core, machine: string, raw: Buffer | undefined, signature: string | undefined): 'active' | 'pending' | null {
  const active = core.store.unit(machine);
  const pending = core.store.pendingUnit(machine);
  if (!active && !pending) throw errors.unitNotRegistered(machine);
  if (!raw) return null;
  // Both checks always run (constant time either way): which one matched says nothing extra.
  const a = active ? signatureValid(active.key, raw, signature) : false;
  const p = pending ? signatureValid(pending.key, raw, signature) : false;
  if (a) return 'active';
  if (!p) return null;
  if (!pending!.verified) throw errors.unitNotVerified(machine);
  return 'pending';
}

/**
 * The pending unit signed a request: its key becomes the machine's key, the previous unit's key
 * stops working. Commands still waiting for the machine carry over to the new unit.
 */
export function promotePendingUnit(core: Core, m: MachineConfig): UnitRecord {
  const pending = core.store.pendingUnit(m.name);
  if (!pending) throw new Error('no pending unit for ' + m.name);
  const old = core.store.unit(m.name);
  const unit: UnitRecord = {
    key: pending.key,
    registered_at: pending.registered_at,
    counter: 0,
    last_seq: 0,
    commands: old ? old.commands : pending.commands,
    dropped_events: 0,
  };
  core.store.setUnit(m.name, unit);
  core.store.setPendingUnit(m.name, null);
  const rec = core.store.ensureMachine(m.name);
  rec.kind = 'fobgate';
  rec.list_version_held = null;
  rec.list_digest_held = null;
  const id = unitId(unit.key);
  const ev = old
    ? serverEvent(m.name, core.clock(), 'unit_key_rotated', `new unit ${id} signed its first request; the previous unit's key (${unitId(old.key)}) is retired`)
    : serverEvent(m.name, core.clock(), 'unit_registered', `unit ${id} signed its first request`);
  core.storeEvent(ev);
  return unit;
}

export function unitKeyStatus(core: Core, m: MachineConfig): UnitKeyStatus {
  const active = core.store.unit(m.name);
  const pending = core.store.pendingUnit(m.name);
  return {
    machine: m.name,
    unit: active ? { unit_id: unitId(active.key), registered_at: active.registered_at } : null,
    pending: pending ? { unit_id: unitId(pending.key), registered_at: pending.registered_at, verified: pending.verified } : null,
  };
}
