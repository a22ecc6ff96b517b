// Imports the events.jsonl of earlier versions (one JSON event per line, never rotated) into the
// event database once, in transactions of a few thousand lines, deriving sessions and usage as
// it goes; ids are kept, so units' acknowledged events and links stay valid. The file is then
// renamed events.jsonl.imported; lines that cannot be read (a line torn by a crash) are counted.
import { closeSync, existsSync, openSync, readSync, renameSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { StoredEvent } from '@fobgate/shared';
import { EventWriter, metaSet } from './event-db.js';

export interface ImportResult {
  imported: number;
  skippedLines: number;
}

const BATCH = 5000;

function parseLine(line: string): StoredEvent | null {
  try {
    const ev = JSON.parse(line) as StoredEvent;
    if (ev === null || typeof ev !== 'object' || !Number.isSafeInteger(ev.id) || ev.id < 1) return null;
    if (typeof ev.machine !== 'string' || typeof ev.type !== 'string' || typeof ev.at !== 'number') return null;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const int = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);
    return {
      id: ev.id,
      machine: ev.machine,
      at: Math.round(ev.at),
      type: ev.type,
      source: (str(ev.source) ?? 'server') as StoredEvent['source'],
      account_id: str(ev.account_id),
      full_name: str(ev.full_name),
      fob: str(ev.fob),
      reason: str(ev.reason),
      duration_ms: int(ev.duration_ms),
      detail: str(ev.detail),
      unit_seq: int(ev.unit_seq),
    };
  } catch {
    return null;
  }
}

/** Imports `jsonlPath` into `db` when it exists; answers what was done (null: nothing to import). */
export function importJsonl(db: Database.Database, jsonlPath: string): ImportResult | null {
  if (!existsSync(jsonlPath)) return null;
  const writer = new EventWriter(db);
  const result: ImportResult = { imported: 0, skippedLines: 0 };
  let batch: StoredEvent[] = [];
  const take = (line: string) => {
    if (line.trim() === '') return;
    const ev = parseLine(line);
    if (!ev) {
      result.skippedLines++;
      return;
    }
    batch.push(ev);
    if (batch.length >= BATCH) {
      writer.write(batch);
      result.imported += batch.length;
      batch = [];
    }
  };
  const fd = openSync(jsonlPath, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let rest = '';
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      const parts = (rest + buf.toString('utf8', 0, n)).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) take(line);
    }
    take(rest);
  } finally {
    closeSync(fd);
  }
  writer.write(batch);
  result.imported += batch.length;
  metaSet(db, 'jsonl_imported', JSON.stringify({ at: Date.now(), ...result }));
  renameSync(jsonlPath, `${jsonlPath}.imported`);
  return result;
}
