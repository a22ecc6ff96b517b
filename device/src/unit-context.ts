// What the unit's parts share. One object has this shape, the Unit (unit-lifecycle.ts); the parts
// take it as their first argument: wiring the drivers (unit-drivers.ts), the tap and its decision
// (unit-taps.ts), event times (unit-events.ts), the sync and list handling (unit-sync.ts) and
// admin commands (admin-commands.ts). Types only: nothing of this file reaches the firmware.
import type { DecisionMachine, MachineState, Outputs, RawSha256, Subject } from '@fobgate/shared';
import type { Hal } from './hal.js';
import type { BoardConfig } from './board-config.js';
import type { Relay } from './drivers/relay.js';
import type { Button } from './drivers/button.js';
import type { OopsLed } from './drivers/oops-led.js';
import type { StatusLed } from './drivers/ws2812.js';
import type { Hd44780 } from './drivers/hd44780.js';
import type { WiegandReader } from './drivers/wiegand.js';
import type { DurableRecord } from './durable-record.js';
import type { EventRing, NewEvent } from './event-ring.js';
import type { FlashWriteAt, ListStore } from './list-store.js';
import type { ListUpdates } from './list-updates.js';
import type { RequestCounter } from './request-counter.js';
import type { SyncClient } from './sync-client.js';
import type { LivenessLimits } from './watchdog-policy.js';
import type { NetworkLink } from './profiles.js';
import type { Freshness } from './freshness.js';

/** What survives a reboot besides the list and the events. */
export interface UnitRecord {
  boot: number;
  oopsed: boolean;
  locked_out: boolean;
  lockout_pending: boolean;
  command_ack: number;
  /** Why the unit rebooted itself ('' = it did not: power-on, crash or hardware watchdog). */
  reboot_reason: string;
}

export interface UnitOptions {
  hal: Hal;
  config: BoardConfig;
  sha256: RawSha256;
  random: () => number;
  network: NetworkLink;
  /** Free interpreter variables, or null when unknown. */
  freeVars: () => number | null;
  /** A garbage collection pass, before a list is received (optional). */
  collect?: () => void;
  reboot: () => void;
  log: (line: string) => void;
  /** Built-in modules found missing at boot (each degrades one function). */
  problems: string[];
  limits?: LivenessLimits;
  eventCapacity?: number;
  /** Storage.write at offsets: how lists are received into flash (null: they cannot be). */
  flashWriteAt?: FlashWriteAt | null;
  /** base64 -> 8-bit string (the interpreter's atob), for list bytes inline in a sync answer. */
  atob?: (b64: string) => string;
  /** Marks the steps of a tap (benchmarks in the interpreter); absent in normal use. */
  trace?: ((step: string) => void) | null;
}

export interface UnitContext {
  options: UnitOptions;
  hal: Hal;
  cfg: BoardConfig;
  // the drivers (set by wireDrivers, unit-drivers.ts; an absent part is null)
  relay: Relay;
  second: Relay | null;
  oopsLed: OopsLed | null;
  statusLed: StatusLed | null;
  lcd: Hd44780 | null;
  reader: WiegandReader;
  button: Button;
  // what is kept in flash, and the network
  ring: EventRing;
  lists: ListStore;
  listUpdates: ListUpdates;
  counter: RequestCounter;
  sync: SyncClient;
  record: DurableRecord<UnitRecord>;
  saved: UnitRecord;
  /** The list's age (offline-freshness rule). */
  freshness: Freshness;
  // the decision
  state: MachineState;
  outputs: Outputs | null;
  /** The subject of the card in the reader (null: none, or not on the list). */
  readerSubject: Subject | null;
  /** A Wiegand frame that came before the card-present line ('' = none), its number and time. */
  pendingFob: string;
  pendingCard: number;
  pendingAt: number;
  /** A card was in the reader at boot: it stays logged out until removed and inserted again. */
  ignoreUntilRemoved: boolean;
  /** The watchdog's warning ('' = none): the LCD's second line says the unit will reboot. */
  warning: string;
  // time and sync
  bootMs: number;
  /** Server time minus clock time once a sync told us (0 = unknown). */
  wallOffset: number;
  /** First event seq of this boot (its events' wall time can be filled in once the clock is known). */
  bootSeq: number;
  syncIntervalMs: number;
  /** The code of the last sync failure reported ('' after a success). */
  lastFailure: string;
  /** The server refused the last request as malformed: the next one carries no events. */
  withholdEvents: boolean;
  /** Faults already reported as an error event (by reason): each is reported once per boot. */
  reported: { [reason: string]: boolean };

  event(ev: NewEvent): void;
  lines(): string[];
  machine(): DecisionMachine;
  listStale(): boolean;
  graceMs(): number;
  saveRecord(): void;
}
