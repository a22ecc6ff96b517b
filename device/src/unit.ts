// The unit: wires drivers, the cached list, the shared decision, the event ring, the sync client
// and the watchdogs. Every fob, card removal and oops press is decided locally and the relays,
// LCD and LEDs follow in the same tick; the network only carries news both ways.
import { DEFAULT_OFFLINE_GRACE_HOURS, EVENT_DETAIL_MAX, EVENT_REASON_MAX, decide, findFob, initialState, makeHmacSha256, numberToFob, subjectFromEntry } from '@fobgate/shared';
import type { DecisionMachine, DeviceEvent, LogEvent, MachineEvent, MachineState, Outputs, RawSha256, Subject, SyncResponse, UnitCommand } from '@fobgate/shared';
import type { Hal, TimerId } from './hal.js';
import type { BoardConfig } from './board-config.js';
import { Relay } from './drivers/relay.js';
import { Button } from './drivers/button.js';
import { OopsLed } from './drivers/oops-led.js';
import { StatusLed } from './drivers/ws2812.js';
import { Hd44780 } from './drivers/hd44780.js';
import { connectPcf8574 } from './drivers/pcf8574.js';
import { WiegandReader } from './drivers/wiegand.js';
import { DurableRecord } from './durable-record.js';
import { EventRing, DEFAULT_EVENT_CAPACITY } from './event-ring.js';
import type { NewEvent } from './event-ring.js';
import { deviceEventOf } from './device-events.js';
import { machineEventOf } from './command-events.js';
import { ListStore } from './list-store.js';
import type { FlashWriteAt } from './list-store.js';
import { ListUpdates } from './list-updates.js';
import { RequestCounter } from './request-counter.js';
import { SyncClient, SYNC_DEADLINE_MS } from './sync-client.js';
import type { SyncBody } from './sync-client.js';
import type { SyncError } from './sync-errors.js';
import { WatchdogPolicy, DEFAULT_LIMITS } from './watchdog-policy.js';
import type { LivenessLimits } from './watchdog-policy.js';
import type { NetworkLink } from './profiles.js';
import { FW_VERSION } from './version.js';
import { Freshness } from './freshness.js';

export const UNIT_FILE = 'fgunit';
export const LOOP_MS = 500;
/** A Wiegand frame that arrives just before the card-present line rises still counts this long. */
export const PRESENT_WINDOW_MS = 1000;
/** An outage at least this long (by the unit's count or the server's clock) is reported when it ends. */
export const OUTAGE_REPORT_MS = 5 * 60000;
/** Events sent per request. */
export const EVENTS_PER_SYNC = 10;
const HOUR_MS = 3600000;
const MAX_REASON = EVENT_REASON_MAX;
const MAX_DETAIL = EVENT_DETAIL_MAX;
/** LCD second line while a stuck unit waits for the relays to go off before rebooting. */
export const WARN_LINE = 'Reboot after use';

/** What survives a reboot besides the list and the events. */
interface UnitRecord {
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

/** The interpreter's global atob (also Node's), or a stand-in that says it is missing. */
function atobOf(): (b64: string) => string {
  const g = typeof atob === 'function' ? atob : null;
  return (b64) => {
    if (!g) throw { code: 'NO_BASE64', message: 'no atob on this platform' };
    return g(b64);
  };
}

function intOrNull(n: number | null): number | null {
  return typeof n === 'number' && n === n ? Math.round(n) : null;
}

export class Unit {
  private options: UnitOptions;
  private hal: Hal;
  private cfg: BoardConfig;
  readonly relay: Relay;
  readonly second: Relay | null = null;
  readonly oopsLed: OopsLed | null = null;
  readonly statusLed: StatusLed | null = null;
  readonly lcd: Hd44780 | null = null;
  readonly reader: WiegandReader;
  readonly button: Button;
  readonly ring: EventRing;
  readonly lists: ListStore;
  readonly listUpdates: ListUpdates;
  readonly counter: RequestCounter;
  readonly sync: SyncClient;
  readonly watchdog: WatchdogPolicy;
  private record: DurableRecord<UnitRecord>;
  private saved: UnitRecord = { boot: 0, oopsed: false, locked_out: false, lockout_pending: false, command_ack: 0, reboot_reason: '' };
  state: MachineState = initialState();
  outputs: Outputs | null = null;
  private bootMs = 0;
  /** Server time minus clock time once a sync told us (0 = unknown). */
  private wallOffset = 0;
  /** The list's age (offline-freshness rule). */
  readonly freshness: Freshness;
  private syncIntervalMs: number;
  private lastLoop = 0;
  private linkDownSince = -1;
  private readerSubject: Subject | null = null;
  private pendingFob = '';
  private pendingCard = 0;
  private pendingAt = 0;
  private warning = '';
  private lastFailure = '';
  /** A card was in the reader at boot: it stays logged out until removed and inserted again. */
  private ignoreUntilRemoved = false;
  /** First event seq of this boot (its events' wall time can be filled in once the clock is known). */
  private bootSeq = 0;
  /** Faults already reported as an error event (by reason): each is reported once per boot. */
  private reported: { [reason: string]: boolean } = {};
  /** The server refused the last request as malformed: the next one carries no events. */
  private withholdEvents = false;
  private loopTimer: TimerId | null = null;
  private running = false;

  constructor(opts: UnitOptions) {
    this.options = opts;
    this.hal = opts.hal;
    this.cfg = opts.config;
    const hal = opts.hal;
    const pins = opts.config.pins;
    // Relays first: whatever happens next, they are off.
    this.relay = new Relay(hal.output(pins.relay), { name: 'relay', activeLow: opts.config.relay_active_low });
    this.relay.setup();
    if (pins.second_relay !== null) {
      this.second = new Relay(hal.output(pins.second_relay), { name: 'second relay', activeLow: opts.config.relay_active_low });
      this.second.setup();
    }
    if (pins.oops_led !== null) this.oopsLed = new OopsLed(hal.output(pins.oops_led), hal.timers);
    if (pins.status_led !== null && hal.neopixel) this.statusLed = new StatusLed(hal.neopixel, { pin: pins.status_led, brightness: 0.3 });
    if (pins.lcd_sda !== null && pins.lcd_scl !== null) {
      const i2c = hal.i2c(pins.lcd_sda, pins.lcd_scl, 400000);
      if (i2c) this.lcd = new Hd44780(connectPcf8574(i2c, opts.config.i2c_address), hal.timers);
    }
    this.reader = new WiegandReader({
      d0: hal.input(pins.wiegand_d0, 'up'),
      d1: hal.input(pins.wiegand_d1, 'up'),
      present: hal.input(pins.card_present, 'down'),
      clock: hal.clock,
      timers: hal.timers,
      onCard: (card) => {
        this.cardRead(card);
      },
      onError: (code, message) => {
        this.event({ type: 'error', at: 0, up: 0, reason: code, detail: message });
      },
      onPresent: (present) => {
        this.presentChanged(present);
      },
      onOverrun: () => {
        this.readerOverrun();
      },
      bits: opts.config.reader_bits,
    });
    this.button = new Button(hal.input(pins.oops_button, 'up'), hal.timers, {
      name: 'oops button',
      pressedLevel: true,
      onPress: () => {
        this.oopsPressed();
      },
    });
    const hmac = makeHmacSha256(opts.sha256);
    this.record = new DurableRecord<UnitRecord>(hal.store, UNIT_FILE);
    this.ring = new EventRing(hal.store, opts.eventCapacity || DEFAULT_EVENT_CAPACITY);
    this.counter = new RequestCounter(hal.store);
    this.freshness = new Freshness(hal.store, opts.flashWriteAt || null, hal.clock);
    this.syncIntervalMs = opts.config.sync_interval_s * 1000;
    this.lists = new ListStore(hal.store, opts.config.key, hmac, opts.sha256, opts.config.machine, opts.flashWriteAt || null, hal.timers);
    this.sync = new SyncClient({
      http: hal.http || (() => {
        throw { code: 'HTTP_ERROR', message: 'no http module' };
      }),
      timers: hal.timers,
      clock: hal.clock,
      server: opts.config.server,
      key: opts.config.key,
      hmac: hmac,
      counter: this.counter,
      random: opts.random,
      intervalMs: opts.config.sync_interval_s * 1000,
      deadlineMs: SYNC_DEADLINE_MS,
      build: () => this.syncBody(),
      onResponse: (res) => {
        this.synced(res);
      },
      onFailure: (e) => {
        this.syncFailed(e);
      },
      // a failing server is not contacted while a machine runs (a blocking connect would delay
      // fob removal and oops); events wait in the ring and go as soon as the relays are off
      hold: () => this.relay.isOn() || (this.second !== null && this.second.isOn()),
      // one RAM-hungry thing at a time: no sync while a new list is checked from flash
      defer: () => this.lists.checking(),
    });
    this.listUpdates = new ListUpdates({
      lists: this.lists,
      sync: this.sync,
      machine: opts.config.machine,
      atob: opts.atob || atobOf(),
      freeVars: opts.freeVars,
      collect: opts.collect,
      event: (ev) => {
        this.event(ev);
      },
      applied: () => {
        this.decideNow({ type: 'config_changed' }, null);
      },
      log: opts.log,
    });
    this.watchdog = new WatchdogPolicy({
      watchdog: hal.watchdog,
      timers: hal.timers,
      clock: hal.clock,
      limits: opts.limits || DEFAULT_LIMITS,
      probe: () => ({
        lastLoop: this.lastLoop,
        lastNetAnswer: this.sync.lastProgress,
        timeoutsInRow: this.sync.timeoutsInRow,
        linkDownSince: this.linkDownSince,
        relayOn: this.relay.isOn(),
        secondRelayOn: this.second !== null && this.second.isOn(),
      }),
      onWarn: (reason) => {
        this.warning = reason;
        if (reason) this.options.log('fobgate: ' + reason + '; reboot waits until the relays are off');
        this.show();
      },
      beforeReboot: (reason) => {
        this.saved.reboot_reason = 'watchdog, ' + reason;
        this.saveRecord();
        this.event({ type: 'error', at: 0, up: 0, reason: 'watchdog', detail: reason + ': rebooting' });
        this.options.log('fobgate: ' + reason + ', rebooting');
      },
      reboot: () => {
        this.stop();
        this.options.reboot();
      },
    });
  }

  /** Boot: restore flash state, decide the reboot, start watches, sync, watchdogs and the loop. */
  start(): void {
    const now = this.hal.clock.now();
    this.bootMs = now;
    this.lastLoop = now;
    const r = this.record.load();
    if (r) this.saved = r;
    this.saved.boot = (this.saved.boot || 0) + 1;
    const cause = this.saved.reboot_reason ? 'reboot: ' + this.saved.reboot_reason : 'power-on, crash or hardware watchdog';
    this.saved.reboot_reason = '';
    this.saveRecord();
    this.ring.load();
    this.counter.load();
    const loaded = this.lists.load();
    this.freshness.boot(this.graceMs(), this.syncIntervalMs);
    if (this.counter.discarded !== null) this.options.log('fobgate: request counter ' + String(this.counter.discarded).substring(0, 24) + ' in flash is out of range: starting over; the server names its own');
    if (this.oopsLed) this.oopsLed.setup();
    if (this.statusLed) this.statusLed.setup();
    if (this.lcd) this.lcd.setup();
    const s = initialState();
    s.oopsed = this.saved.oopsed === true;
    s.locked_out = this.saved.locked_out === true;
    s.lockout_pending = this.saved.lockout_pending === true;
    this.state = s;
    this.running = true;
    this.bootSeq = this.ring.nextSeq();
    this.event({ type: 'boot', at: 0, up: 0, v: this.saved.boot, reason: cause, detail: FW_VERSION });
    if (loaded) this.event({ type: 'error', at: 0, up: 0, reason: loaded.code, detail: loaded.message });
    for (const p of this.options.problems) this.event({ type: 'error', at: 0, up: 0, reason: 'module', detail: p });
    this.decideNow({ type: 'reboot', rfid: null }, null);
    this.reader.setup();
    this.ignoreUntilRemoved = this.reader.isPresent();
    this.button.setup();
    this.options.network.start();
    this.sync.start();
    this.watchdog.start();
    this.loopTimer = this.hal.timers.setInterval(() => {
      this.loop();
    }, LOOP_MS);
    this.options.log('fobgate ' + FW_VERSION + ' on ' + this.cfg.machine + ': boot ' + this.saved.boot + ', list v' + this.lists.version() + ', ' + this.ring.pending() + ' events queued');
  }

  /** Clears every watch and timer (the relays stay as they are). */
  stop(): void {
    this.running = false;
    if (this.loopTimer !== null) this.hal.timers.clearInterval(this.loopTimer);
    this.loopTimer = null;
    this.reader.stop();
    this.button.stop();
    this.sync.stop();
    this.lists.stop();
    this.watchdog.stop();
    this.options.network.stop();
    if (this.lcd) this.lcd.stop();
    if (this.oopsLed) this.oopsLed.stop();
  }

  /** The unit's periodic work; its completion is the liveness heartbeat. */
  loop(): void {
    const now = this.hal.clock.now();
    if (this.pendingFob && now - this.pendingAt > PRESENT_WINDOW_MS) this.pendingFob = '';
    if (this.options.network.up()) this.linkDownSince = -1;
    else if (this.linkDownSince < 0) this.linkDownSince = now;
    this.freshness.update(this.graceMs());
    if (this.freshness.failed) this.reportOnce('freshness', 'flash refused the offline tally: offline time is counted in RAM only until a sync');
    if (this.lcd && this.lcd.failed) this.reportOnce('lcd', 'LCD not answering on I2C; relays keep working');
    const second = this.second;
    // (its detail is built only until it has been reported)
    if ((this.relay.failed || (second !== null && second.failed)) && !this.reported['relay']) this.reportOnce('relay', 'pin not working, no longer written: ' + this.relay.describe() + (second ? '; ' + second.describe() : ''));
    this.lastLoop = now;
  }

  /** A fault found by loop(), as one error event per boot. */
  private reportOnce(reason: string, detail: string): void {
    if (this.reported[reason]) return;
    this.reported[reason] = true;
    this.event({ type: 'error', at: 0, up: 0, reason: reason, detail: detail });
  }

  // ---- time ----

  /** Epoch ms when a sync has told us the time, else 0. */
  wallNow(): number {
    return this.wallOffset ? this.hal.clock.now() + this.wallOffset : 0;
  }

  /** Age of the list: running time since the last verified sync, across reboots (docs/offline-freshness.md). */
  offlineMs(): number {
    return this.freshness.ageMs();
  }

  /** The machine's offline grace (ms). */
  graceMs(): number {
    const list = this.lists.current();
    const h = list ? list.machine.offline_grace_hours : DEFAULT_OFFLINE_GRACE_HOURS;
    return (typeof h === 'number' && h > 0 ? h : DEFAULT_OFFLINE_GRACE_HOURS) * HOUR_MS;
  }

  /** The cached list is missing or past the machine's freshness deadline. */
  listStale(): boolean {
    if (!this.lists.current()) return true;
    return this.offlineMs() > this.graceMs();
  }

  machine(): DecisionMachine {
    const list = this.lists.current();
    if (list) return list.machine;
    return {
      name: this.cfg.machine,
      display_name: this.cfg.machine,
      unauthorized_warn_only: false,
      always_enabled: false,
      second_relay: null,
      offline_grace_hours: DEFAULT_OFFLINE_GRACE_HOURS,
    };
  }

  // ---- inputs ----

  private trace(step: string): void {
    const t = this.options.trace;
    if (t) t(step);
  }

  private cardRead(card: number): void {
    this.trace('frame');
    if (this.ignoreUntilRemoved) return;
    const fob = numberToFob(card);
    if (this.reader.isPresent()) {
      this.insert(fob, card);
      return;
    }
    // The frame came before the card-present line: wait briefly for it.
    this.pendingFob = fob;
    this.pendingCard = card;
    this.pendingAt = this.hal.clock.now();
  }

  private presentChanged(present: boolean): void {
    if (!present) this.ignoreUntilRemoved = false;
    if (present) {
      if (this.pendingFob && this.hal.clock.now() - this.pendingAt <= PRESENT_WINDOW_MS) this.insert(this.pendingFob, this.pendingCard);
      this.pendingFob = '';
      return;
    }
    this.pendingFob = '';
    const subject = this.readerSubject;
    this.readerSubject = null;
    this.decideNow({ type: 'card_removed' }, subject);
  }

  /** Looks the fob up in the cached list and decides: no network involved. */
  insert(fob: string, card: number): void {
    const list = this.lists.current();
    let subject: Subject | null = null;
    if (list) {
      const i = findFob(list, card);
      if (i >= 0) subject = subjectFromEntry(list, i);
    }
    this.trace('lookup');
    this.readerSubject = subject;
    this.decideNow({ type: 'card_inserted', fob: fob }, subject);
  }

  /**
   * The reader sent more bits than the board declares: the decision taken at the declared length
   * belonged to a foreign frame. Undo it (relays off) and ignore the card until it is taken out;
   * the driver has reported the length error.
   */
  private readerOverrun(): void {
    const subject = this.readerSubject;
    this.readerSubject = null;
    this.pendingFob = '';
    this.ignoreUntilRemoved = this.reader.isPresent();
    if (subject || this.relay.isOn()) this.decideNow({ type: 'card_removed' }, subject);
  }

  oopsPressed(): void {
    this.decideNow({ type: 'oops_pressed' }, this.readerSubject);
    this.sync.trigger();
  }

  // ---- decision ----

  /**
   * Runs the shared decision and applies its outputs at once: the relays before anything else,
   * then the LCD, the LEDs, the events and flash writes.
   */
  decideNow(event: MachineEvent, subject: Subject | null): void {
    const d = decide(this.machine(), this.state, event, subject, { now: this.hal.clock.now(), list_stale: this.listStale() });
    this.trace('decide');
    this.relay.set(d.outputs.relay);
    if (this.second) this.second.set(d.outputs.second_relay);
    this.trace('relay');
    this.state = d.state;
    this.outputs = d.outputs;
    this.show();
    this.trace('lcd');
    if (this.oopsLed) this.oopsLed.set(d.outputs.oops_led);
    if (this.statusLed) {
      const rgb = d.outputs.status_led_rgb;
      const k = d.outputs.status_led_brightness > 0 ? 1 : 0;
      this.statusLed.set(rgb[0] * k, rgb[1] * k, rgb[2] * k);
    }
    this.trace('led');
    this.logDecision(d.log);
    this.trace('events');
    const s = this.state;
    if (s.oopsed !== this.saved.oopsed || s.locked_out !== this.saved.locked_out || s.lockout_pending !== this.saved.lockout_pending) {
      this.saved.oopsed = s.oopsed;
      this.saved.locked_out = s.locked_out;
      this.saved.lockout_pending = s.lockout_pending;
      this.saveRecord();
    }
    this.trace('done');
  }

  /** The two LCD lines now shown (the decision's text, or the watchdog's warning on line 2). */
  lines(): string[] {
    const text = this.outputs ? this.outputs.display : '';
    const nl = text.indexOf('\n');
    const l1 = nl < 0 ? text : text.substring(0, nl);
    const l2 = nl < 0 ? '' : text.substring(nl + 1);
    return [l1, this.warning ? WARN_LINE : l2];
  }

  private show(): void {
    if (!this.lcd) return;
    const l = this.lines();
    this.lcd.show(l[0], l[1]);
  }

  private logDecision(log: LogEvent[]): void {
    let any = false;
    for (const e of log) {
      const ev = deviceEventOf(e);
      if (ev) {
        this.event(ev);
        any = true;
      }
    }
    if (any) this.sync.trigger();
  }

  // ---- events ----

  /** Times as whole milliseconds and text fields cut to what the protocol accepts. */
  private stamp(ev: NewEvent): NewEvent {
    const now = this.hal.clock.now();
    ev.up = Math.max(0, Math.floor(now - this.bootMs));
    ev.at = this.wallOffset ? Math.floor(now + this.wallOffset) : 0;
    if (typeof ev.reason === 'string' && ev.reason.length > MAX_REASON) ev.reason = ev.reason.substring(0, MAX_REASON);
    if (typeof ev.detail === 'string' && ev.detail.length > MAX_DETAIL) ev.detail = ev.detail.substring(0, MAX_DETAIL);
    if (typeof ev.dur === 'number') ev.dur = Math.max(0, Math.floor(ev.dur));
    return ev;
  }

  event(ev: NewEvent): void {
    this.ring.append(this.stamp(ev));
  }

  // ---- sync ----

  private syncBody(): SyncBody {
    const s = this.state;
    const o = this.outputs;
    return {
      machine: this.cfg.machine,
      fw: FW_VERSION,
      up: Math.max(0, Math.floor(this.hal.clock.now() - this.bootMs)),
      boot_count: this.saved.boot,
      list_version: this.lists.version(),
      list_digest: this.lists.digest(),
      list_inline_max: this.listUpdates.inlineBudget(),
      command_ack: this.saved.command_ack,
      state: {
        relay: this.relay.isOn(),
        second_relay: this.second !== null && this.second.isOn(),
        oopsed: s.oopsed,
        locked_out: s.locked_out,
        rfid: s.rfid,
        session_fob: s.user ? s.user.fob : null,
        session_start: s.session_start !== null && this.wallOffset ? Math.floor(s.session_start + this.wallOffset) : 0,
        look: s.look,
        display: o ? o.display : '',
      },
      telemetry: {
        wifi_signal_db: this.options.network.signalDb(),
        free_vars: intOrNull(this.options.freeVars()),
        temp_c10: null,
      },
      // A request the server refused as malformed may hold an event it cannot take: the next
      // request goes without events so lists and commands keep flowing; the one after retries.
      // The server may also refuse events for a while (429): they wait in the ring, nothing is lost.
      events: this.withholdEvents || this.sync.eventsHeld() ? [] : this.withWallTime(this.ring.peek(EVENTS_PER_SYNC)),
      dropped_events: this.ring.droppedTotal(),
    };
  }

  /** Events of this boot logged before the clock was known get their wall time now. */
  private withWallTime(events: DeviceEvent[]): DeviceEvent[] {
    if (!this.wallOffset) return events;
    for (const e of events) {
      if (e.at === 0 && e.seq >= this.bootSeq) e.at = Math.floor(this.bootMs + e.up + this.wallOffset);
    }
    return events;
  }

  private synced(res: SyncResponse): void {
    const now = this.hal.clock.now();
    this.withholdEvents = false;
    // epoch ms after 2001 only: a wrong clock must not put negative times on the wire
    if (res.time > 1000000000000) this.wallOffset = res.time - now;
    this.lastFailure = '';
    if (typeof res.sync_interval_s === 'number' && res.sync_interval_s >= 1) this.syncIntervalMs = res.sync_interval_s * 1000;
    const outage = this.freshness.synced(res.time > 1000000000000 ? res.time : 0, this.graceMs(), this.syncIntervalMs);
    if (outage && (outage.countedMs >= OUTAGE_REPORT_MS || outage.wallMs >= OUTAGE_REPORT_MS)) {
      const mins = (ms: number) => Math.round(ms / 60000) + ' min';
      this.event({ type: 'error', at: 0, up: 0, reason: 'offline', detail: 'offline for ' + mins(outage.countedMs) + ' of running time' + (outage.wallMs >= 0 ? ', ' + mins(outage.wallMs) + ' by the server clock (time without power is not counted)' : '') });
    }
    const before = this.ring.pending();
    this.ring.ack(res.ack_seq, (ev) => this.stamp(ev));
    if (res.list) this.listUpdates.handle(res.list);
    const cmds = res.commands || [];
    for (const c of cmds) this.command(c);
    if (typeof res.sync_interval_s === 'number') this.sync.setInterval(res.sync_interval_s * 1000);
    // More events than one request carries: keep going while the server keeps acknowledging.
    if (this.ring.pending() > 0 && this.ring.pending() < before) this.sync.trigger();
  }

  private command(c: UnitCommand): void {
    if (!c || typeof c.id !== 'number' || c.id <= this.saved.command_ack) return;
    const ev = machineEventOf(c);
    if (ev) this.decideNow(ev, null);
    else this.event({ type: 'error', at: 0, up: 0, reason: 'command', detail: 'unknown command type ' + String(c.type).substring(0, 20) });
    this.saved.command_ack = c.id;
    this.saveRecord();
    this.event({ type: 'command_applied', at: 0, up: 0, v: c.id, reason: String(c.type) });
  }

  /** A bad answer is worth an event (once per streak of the same failure); an outage is not. */
  private syncFailed(e: SyncError): void {
    this.withholdEvents = e.status === 400 && !this.withholdEvents;
    if (e.code === this.lastFailure) return;
    this.lastFailure = e.code;
    if (e.code === 'SYNC_SIGNATURE' || e.code === 'SYNC_COUNTER' || e.code === 'SYNC_MALFORMED' || e.code === 'SYNC_REPLAYED' || e.code === 'SYNC_RATE_LIMITED') {
      this.event({ type: 'error', at: 0, up: 0, reason: e.code, detail: e.message });
    }
    this.options.log('fobgate: sync failed: ' + e.message);
  }

  private saveRecord(): void {
    this.record.save(this.saved);
  }

  /** Whether start() ran and stop() has not. */
  isRunning(): boolean {
    return this.running;
  }
}
