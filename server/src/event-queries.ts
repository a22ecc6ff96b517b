// What the audit log is asked and answers: a new event, the event and session queries (by
// machine, member, time range; keyset-paged), and the monthly usage report's query, order and
// rows. Types only: event-db.ts runs the queries, event-log.ts is how the server asks them.
import type { StoredEvent } from '@fobgate/shared';

export type NewEvent = Omit<StoredEvent, 'id'>;

export interface EventQuery {
  machine?: string;
  /** account_id, fob code or full name (case-insensitive). */
  member?: string;
  /** Epoch ms, inclusive: events by time, sessions by start. */
  from?: number;
  to?: number;
  /** Page size (newest first). */
  limit?: number;
  /** Keyset cursor: only rows strictly older than this (time, id) pair (the previous page's `next`). */
  before?: { at: number; id: number };
}

export interface Page<T> {
  items: T[];
  /** Cursor of the next (older) page, or null when this one was the last. */
  next: { at: number; id: number } | null;
}

export interface UsageQuery {
  /** YYYY-MM, inclusive. */
  fromMonth?: string;
  toMonth?: string;
  machine?: string;
  /** account id or full name (case-insensitive). */
  member?: string;
  /** Rows after this one in the report's order (the previous page's last row). */
  after?: UsageKey;
  /** Most rows answered (default 100,000). */
  limit?: number;
}

/** A row's place in the usage report's order: month, name (any case), account id, machine. */
export interface UsageKey {
  month: string;
  full_name: string;
  account_id: string;
  machine: string;
}

export interface UsageRow {
  month: string;
  machine: string;
  account_id: string;
  full_name: string;
  sessions: number;
  total_ms: number;
}
