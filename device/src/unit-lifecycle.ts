// The unit: builds its parts (drivers, the cached list, the event ring, the sync client, the
// watchdogs) and runs their life: boot, the periodic loop, stop. Every fob, card removal and oops
// press is decided locally and the relays, LCD and LEDs follow in the same tick
// (unit-taps.ts); the network only carries news both ways (unit-sync.ts). The parts share this
// object's fields as described in unit-context.ts.
import { DEFAULT_OFFLINE_GRACE_HOURS, initialState, makeHmacSha256 } from '@fobgate/shared';
import type { DecisionMachine, MachineState, Outputs, Subject } from '@fobgate/shared';
import type { Hal, TimerId } from './hal.js';
import type { BoardConfig } from './board-config.js';
import type { Relay } from './drivers/relay.js';
import type { Button } from './drivers/button.js';
import type { OopsLed } from './drivers/oops-led.js';
import type { StatusLed } from './drivers/ws2812.js';
import type { Hd44780 } from './drivers/hd44780.js';
import type { WiegandReader } from './drivers/wiegand.js';
import { DurableRecord } from './durable-record.js';
import { EventRing, DEFAULT_EVENT_CAPACITY } from './event-ring.js';
import type { NewEvent } from './event-ring.js';
import { ListStore } from './list-store.js';
import type { ListUpdates } from './list-updates.js';
import { RequestCounter } from './request-counter.js';
import type { SyncClient } from './sync-client.js';
import { WatchdogPolicy, DEFAULT_LIMITS } from './watchdog-policy.js';
import { FW_VERSION } from './version.js';
import { Freshness } from './freshness.js';
import type { UnitContext, UnitOptions, UnitRecord } from './unit-context.js';
import { wireDrivers } from './unit-drivers.js';
import { PRESENT_WINDOW_MS, decideNow, showLines } from './unit-taps.js';
import { reportOnce, stampEvent } from './unit-events.js';
import { unitListUpdates, unitSyncClient } from './unit-sync.js';

export const UNIT_FILE = 'fgunit';
export const LOOP_MS = 500;
const HOUR_MS = 3600000;
/** LCD second line while a stuck unit waits for the relays to go off before rebooting. */
export const WARN_LINE = 'Reboot after use';

export class Unit implements UnitContext {
  options: UnitOptions;
  hal: Hal;
  cfg: BoardConfig;
  // the drivers, set by wireDrivers (unit-drivers.ts)
  relay!: Relay;
  second: Relay | null = null;
  oopsLed: OopsLed | null = null;
  statusLed: StatusLed | null = null;
  lcd: Hd44780 | null = null;
  reader!: WiegandReader;
  button!: Button;
  readonly ring: EventRing;
  readonly lists: ListStore;
  readonly listUpdates: ListUpdates;
  readonly counter: RequestCounter;
  readonly sync: SyncClient;
  readonly watchdog: WatchdogPolicy;
  record: DurableRecord<UnitRecord>;
  saved: UnitRecord = { boot: 0, oopsed: false, locked_out: false, lockout_pending: false, command_ack: 0, reboot_reason: '' };
  state: MachineState = initialState();
  outputs: Outputs | null = null;
  bootMs = 0;
  wallOffset = 0;
  readonly freshness: Freshness;
  syncIntervalMs: number;
  private lastLoop = 0;
  private linkDownSince = -1;
  readerSubject: Subject | null = null;
  pendingFob = '';
  pendingCard = 0;
  pendingAt = 0;
  warning = '';
  lastFailure = '';
  ignoreUntilRemoved = false;
  bootSeq = 0;
  reported: { [reason: string]: boolean } = {};
  withholdEvents = false;
  private loopTimer: TimerId | null = null;
  private running = false;

  constructor(opts: UnitOptions) {
    this.options = opts;
    this.hal = opts.hal;
    this.cfg = opts.config;
    const hal = opts.hal;
    wireDrivers(this);
    const hmac = makeHmacSha256(opts.sha256);
    this.record = new DurableRecord<UnitRecord>(hal.store, UNIT_FILE);
    this.ring = new EventRing(hal.store, opts.eventCapacity || DEFAULT_EVENT_CAPACITY);
    this.counter = new RequestCounter(hal.store);
    this.freshness = new Freshness(hal.store, opts.flashWriteAt || null, hal.clock);
    this.syncIntervalMs = opts.config.sync_interval_s * 1000;
    this.lists = new ListStore(hal.store, opts.config.key, hmac, opts.sha256, opts.config.machine, opts.flashWriteAt || null, hal.timers);
    this.sync = unitSyncClient(this, hmac);
    this.listUpdates = unitListUpdates(this);
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
        showLines(this);
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
    decideNow(this, { type: 'reboot', rfid: null }, null);
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
    if (this.freshness.failed) reportOnce(this, 'freshness', 'flash refused the offline tally: offline time is counted in RAM only until a sync');
    if (this.lcd && this.lcd.failed) reportOnce(this, 'lcd', 'LCD not answering on I2C; relays keep working');
    const second = this.second;
    // (its detail is built only until it has been reported)
    if ((this.relay.failed || (second !== null && second.failed)) && !this.reported['relay']) reportOnce(this, 'relay', 'pin not working, no longer written: ' + this.relay.describe() + (second ? '; ' + second.describe() : ''));
    this.lastLoop = now;
  }

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

  /** The two LCD lines now shown (the decision's text, or the watchdog's warning on line 2). */
  lines(): string[] {
    const text = this.outputs ? this.outputs.display : '';
    const nl = text.indexOf('\n');
    const l1 = nl < 0 ? text : text.substring(0, nl);
    const l2 = nl < 0 ? '' : text.substring(nl + 1);
    return [l1, this.warning ? WARN_LINE : l2];
  }

  event(ev: NewEvent): void {
    this.ring.append(stampEvent(this, ev));
  }

  saveRecord(): void {
    this.record.save(this.saved);
  }

  /** Whether start() ran and stop() has not. */
  isRunning(): boolean {
    return this.running;
  }
}
