// Moves the single state.json of earlier versions (every machine in one file, rewritten on every
// save) into the state journal, once: each machine becomes its own document. The journal is
// written beside it as a temp file, synced and renamed into place; only then is state.json renamed
// to state.json.migrated (kept as a backup). A crash in between leaves either the old file alone
// (migrated again next start) or both, and then the journal wins.
import { existsSync, renameSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createAtomicFileAdapter } from './atomic-file.js';
import { journalLine } from './state-journal.js';
import { SERVER_KEY, machineKey, type MachineDoc, type PersistedState, type ServerDoc } from './state-documents.js';

export interface MigrationResult {
  migrated: boolean;
  machines: number;
}

/** The documents an old state.json holds (keys as the store names them). */
export function documentsOf(old: PersistedState): Array<[string, ServerDoc | MachineDoc]> {
  const server: ServerDoc = {
    format: 2,
    list_version: typeof old.list_version === 'number' ? old.list_version : 1,
    list_issued_at: typeof old.list_issued_at === 'number' ? old.list_issued_at : 0,
    config_digest: typeof old.config_digest === 'string' ? old.config_digest : '',
    list_day: typeof old.list_day === 'string' ? old.list_day : '',
    next_command_id: typeof old.next_command_id === 'number' ? old.next_command_id : 1,
  };
  const out: Array<[string, ServerDoc | MachineDoc]> = [[SERVER_KEY, server]];
  const machines = old.machines && typeof old.machines === 'object' ? old.machines : {};
  const units = old.units && typeof old.units === 'object' ? old.units : {};
  const timeouts = old.save_timeouts && typeof old.save_timeouts === 'object' ? old.save_timeouts : {};
  const pending = old.pending_units && typeof old.pending_units === 'object' ? old.pending_units : {};
  const names = new Set([...Object.keys(machines), ...Object.keys(units), ...Object.keys(pending), ...Object.keys(timeouts)]);
  for (const name of names) {
    out.push([
      machineKey(name),
      {
        record: Object.prototype.hasOwnProperty.call(machines, name) ? machines[name] : null,
        unit: Object.prototype.hasOwnProperty.call(units, name) ? units[name] : null,
        pending_unit: Object.prototype.hasOwnProperty.call(pending, name) ? pending[name] : null,
        save_timeouts: typeof timeouts[name] === 'number' ? timeouts[name] : 0,
      },
    ]);
  }
  return out;
}

/**
 * Migrates `<stateDir>/state.json` into `journalPath` when the journal does not exist yet. A
 * state.json that is not JSON stops start-up (StateFileError) rather than being dropped.
 */
export async function migrateStateFile(stateDir: string, journalPath: string): Promise<MigrationResult> {
  const oldPath = join(stateDir, 'state.json');
  if (!existsSync(oldPath)) return { migrated: false, machines: 0 };
  if (existsSync(journalPath)) {
    // migrated before, and the crash came before the rename: the journal is the newer truth
    renameSync(oldPath, `${oldPath}.migrated`);
    return { migrated: false, machines: 0 };
  }
  const old = (await createAtomicFileAdapter<PersistedState>(oldPath).read()) ?? ({} as PersistedState);
  const docs = documentsOf(old);
  const tmp = `${journalPath}.migrating`;
  const h = await open(tmp, 'w', 0o600);
  try {
    await h.write(docs.map(([k, d]) => journalLine(k, JSON.stringify(d))).join(''));
    await h.sync();
  } catch (e) {
    await h.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await h.close();
  await rename(tmp, journalPath);
  renameSync(oldPath, `${oldPath}.migrated`);
  return { migrated: true, machines: docs.length - 1 };
}
