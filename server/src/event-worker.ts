// The event log's worker threads. The writer owns the only writing connection: it takes every
// append message waiting on its port at once and commits them in one transaction (one fsync for
// all: group commit), then says up to which id they are durable; it also prunes by retention.
// The reader answers queries on its own read-only connection (WAL lets it read while the writer
// commits), so a query never delays heartbeats on the main thread nor appends in the writer.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { StoredEvent } from '@fobgate/shared';
import { EventReader, EventWriter, openEventDb, type EventQuery, type UsageQuery } from './event-db.js';

export type WriterRequest =
  /** The events as one JSON text: V8's structured clone of the objects cost the writer several times what JSON.parse does. */
  | { op: 'append'; events: string }
  | { op: 'prune'; before: number; batch: number }
  | { op: 'close' };
export type WriterReply =
  | { op: 'appended'; upTo: number }
  | { op: 'failed'; upTo: number; message: string }
  | { op: 'pruned'; rows: number }
  | { op: 'closed' }
  | { op: 'ready' };

export type ReaderRequest =
  | { op: 'events' | 'sessions'; id: number; q: EventQuery }
  | { op: 'usage'; id: number; q: UsageQuery }
  | { op: 'close'; id: number };
/** id 0 answers nothing asked: the reader's connection is open. */
export type ReaderReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; message: string };

const { role, path } = workerData as { role: 'writer' | 'reader'; path: string };
const port = parentPort!;

function runWriter(): void {
  const db = openEventDb(path);
  // index statistics for the query planner, sampled (cheap even at 10 M rows)
  db.pragma('analysis_limit = 400');
  db.pragma('optimize = 0x10002');
  const writer = new EventWriter(db);
  const handle = (first: WriterRequest) => {
    const events: StoredEvent[] = [];
    const later: WriterRequest[] = [];
    const take = (m: WriterRequest) => {
      if (m.op === 'append') for (const e of JSON.parse(m.events) as StoredEvent[]) events.push(e);
      else later.push(m);
    };
    take(first);
    // everything else already waiting goes into the same commit
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) take(m.message as WriterRequest);
    if (events.length) {
      const upTo = events[events.length - 1].id;
      try {
        writer.write(events);
        port.postMessage({ op: 'appended', upTo } satisfies WriterReply);
      } catch (e) {
        port.postMessage({ op: 'failed', upTo, message: (e as Error).message } satisfies WriterReply);
      }
    }
    for (const m of later) {
      if (m.op === 'prune') {
        let rows: number;
        try {
          rows = writer.prune(m.before, m.batch);
        } catch {
          rows = 0;
        }
        port.postMessage({ op: 'pruned', rows } satisfies WriterReply);
      } else if (m.op === 'close') {
        db.close();
        port.postMessage({ op: 'closed' } satisfies WriterReply);
        port.close();
        return;
      }
    }
  };
  port.on('message', handle);
  port.postMessage({ op: 'ready' } satisfies WriterReply);
}

function runReader(): void {
  const db = openEventDb(path, { readonly: true });
  const reader = new EventReader(db);
  port.on('message', (m: ReaderRequest) => {
    try {
      let result: unknown;
      if (m.op === 'events') result = reader.events(m.q);
      else if (m.op === 'sessions') result = reader.sessions(m.q);
      else if (m.op === 'usage') result = reader.usage(m.q);
      else {
        db.close();
        port.postMessage({ id: m.id, ok: true, result: null } satisfies ReaderReply);
        port.close();
        return;
      }
      port.postMessage({ id: m.id, ok: true, result } satisfies ReaderReply);
    } catch (e) {
      port.postMessage({ id: m.id, ok: false, message: (e as Error).message } satisfies ReaderReply);
    }
  });
  port.postMessage({ id: 0, ok: true, result: 'ready' } satisfies ReaderReply);
}

if (role === 'writer') runWriter();
else runReader();
