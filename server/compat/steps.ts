// The vocabulary of the comparison's request sequences. A step is one request (or a file change,
// a restart, a stuck disk) sent to both servers alike; `doc` names the documented deliberate
// differences (docs/dm-mac-compat.md) expected at that step, and which aspects they cover.
import type { MachinesRaw, UsersRaw } from './fixtures.js';

export interface Documented {
  /** The difference's number or name in docs/dm-mac-compat.md ("Where fobgate deliberately differs"). */
  ref: string;
  /** Aspects it explains (matched against `status`, `body`, `sample:<key>`, `slack:<channel>` ...). */
  aspects: RegExp;
  /** Only when dm_mac's and fobgate's values match these. */
  values?: [RegExp, RegExp];
}

export type Telemetry = Partial<
  Record<'wifi_signal_db' | 'wifi_signal_percent' | 'internal_temperature_c' | 'amps' | 'second_relay_state', unknown>
>;

export type Op =
  /** An ESPHome unit's POST /api/machine/update; the card stays in the reader until changed. */
  | {
      op: 'update';
      m: string;
      /** Put this card in the reader ('' pulls it); otherwise the reader keeps what it had. */
      card?: string;
      oops?: boolean;
      /** The unit rebooted: its uptime drops. */
      reboot?: boolean;
      /** Telemetry overriding the defaults (null as ESPHome sends a NaN sensor). */
      tele?: Telemetry;
      /** Leave these keys out of the body. */
      omit?: string[];
      /** Extra keys (unknown ones are bad input). */
      extra?: Record<string, unknown>;
    }
  /** dm_mac's admin routes (fobgate also gets its admin token, unless noToken). */
  | { op: 'admin'; action: 'oops' | 'unoops' | 'lock' | 'unlock'; m: string; noToken?: boolean }
  | { op: 'reload'; noToken?: boolean }
  /** Any request; `admin` adds fobgate's token. */
  | { op: 'http'; method: string; path: string; json?: unknown; text?: string; contentType?: string; admin?: boolean }
  /** Rewrite users.json in both folders (same text, same mtime). */
  | { op: 'users'; raw?: unknown; text?: string }
  /** Rewrite machines.json in both folders (read at the next restart). */
  | { op: 'machines'; raw: unknown }
  | { op: 'restart' }
  | { op: 'sleep'; ms: number }
  | { op: 'stall'; machines: string[] }
  | { op: 'unstall' };

export type Step = Op & { doc?: Documented[] };

export interface Case {
  name: string;
  what: string;
  machines?: MachinesRaw;
  users?: UsersRaw;
  steps: Step[];
}

// Helpers that keep the sequences readable.
export const hb = (m: string, extra: Partial<Extract<Op, { op: 'update' }>> = {}): Step => ({ op: 'update', m, ...extra });
export const insert = (m: string, card: string, extra: Partial<Extract<Op, { op: 'update' }>> = {}): Step => ({
  op: 'update',
  m,
  card,
  ...extra,
});
export const pull = (m: string, extra: Partial<Extract<Op, { op: 'update' }>> = {}): Step => ({ op: 'update', m, card: '', ...extra });
export const press = (m: string): Step => ({ op: 'update', m, oops: true });
export const reboot = (m: string, extra: Partial<Extract<Op, { op: 'update' }>> = {}): Step => ({ op: 'update', m, reboot: true, ...extra });
export const aOops = (m: string): Step => ({ op: 'admin', action: 'oops', m });
export const aClear = (m: string): Step => ({ op: 'admin', action: 'unoops', m });
export const aLock = (m: string): Step => ({ op: 'admin', action: 'lock', m });
export const aUnlock = (m: string): Step => ({ op: 'admin', action: 'unlock', m });
export const get = (path: string): Step => ({ op: 'http', method: 'GET', path });

/** Marks a step with the documented differences it shows. */
export function documented(step: Step, ...docs: ([string, RegExp] | [string, RegExp, [RegExp, RegExp]])[]): Step {
  return { ...step, doc: [...(step.doc ?? []), ...docs.map(([ref, aspects, values]) => ({ ref, aspects, values }))] };
}
