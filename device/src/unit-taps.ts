// The tap and its decision: a Wiegand frame, the card-present line and the oops button become
// events of the shared decision, decided locally from the cached list; the relays, LCD and LEDs
// follow in the same tick and the decision's log goes to the event ring. No network involved.
import { decide, findFob, numberToFob, subjectFromEntry } from '@fobgate/shared';
import type { LogEvent, MachineEvent, Subject } from '@fobgate/shared';
import { deviceEventOf } from './device-events.js';
import type { UnitContext } from './unit-context.js';

/** A Wiegand frame that arrives just before the card-present line rises still counts this long. */
export const PRESENT_WINDOW_MS = 1000;

function trace(u: UnitContext, step: string): void {
  const t = u.options.trace;
  if (t) t(step);
}

export function cardRead(u: UnitContext, card: number): void {
  trace(u, 'frame');
  if (u.ignoreUntilRemoved) return;
  const fob = numberToFob(card);
  if (u.reader.isPresent()) {
    insertCard(u, fob, card);
    return;
  }
  // The frame came before the card-present line: wait briefly for it.
  u.pendingFob = fob;
  u.pendingCard = card;
  u.pendingAt = u.hal.clock.now();
}

export function presentChanged(u: UnitContext, present: boolean): void {
  if (!present) u.ignoreUntilRemoved = false;
  if (present) {
    if (u.pendingFob && u.hal.clock.now() - u.pendingAt <= PRESENT_WINDOW_MS) insertCard(u, u.pendingFob, u.pendingCard);
    u.pendingFob = '';
    return;
  }
  u.pendingFob = '';
  const subject = u.readerSubject;
  u.readerSubject = null;
  decideNow(u, { type: 'card_removed' }, subject);
}

/** Looks the fob up in the cached list and decides: no network involved. */
export function insertCard(u: UnitContext, fob: string, card: number): void {
  const list = u.lists.current();
  let subject: Subject | null = null;
  if (list) {
    const i = findFob(list, card);
    if (i >= 0) subject = subjectFromEntry(list, i);
  }
  trace(u, 'lookup');
  u.readerSubject = subject;
  decideNow(u, { type: 'card_inserted', fob: fob }, subject);
}

/**
 * The reader sent more bits than the board declares: the decision taken at the declared length
 * belonged to a foreign frame. Undo it (relays off) and ignore the card until it is taken out;
 * the driver has reported the length error.
 */
export function readerOverrun(u: UnitContext): void {
  const subject = u.readerSubject;
  u.readerSubject = null;
  u.pendingFob = '';
  u.ignoreUntilRemoved = u.reader.isPresent();
  if (subject || u.relay.isOn()) decideNow(u, { type: 'card_removed' }, subject);
}

export function oopsPressed(u: UnitContext): void {
  decideNow(u, { type: 'oops_pressed' }, u.readerSubject);
  u.sync.trigger();
}

/**
 * Runs the shared decision and applies its outputs at once: the relays before anything else,
 * then the LCD, the LEDs, the events and flash writes.
 */
export function decideNow(u: UnitContext, event: MachineEvent, subject: Subject | null): void {
  const d = decide(u.machine(), u.state, event, subject, { now: u.hal.clock.now(), list_stale: u.listStale() });
  trace(u, 'decide');
  u.relay.set(d.outputs.relay);
  if (u.second) u.second.set(d.outputs.second_relay);
  trace(u, 'relay');
  u.state = d.state;
  u.outputs = d.outputs;
  showLines(u);
  trace(u, 'lcd');
  if (u.oopsLed) u.oopsLed.set(d.outputs.oops_led);
  if (u.statusLed) {
    const rgb = d.outputs.status_led_rgb;
    const k = d.outputs.status_led_brightness > 0 ? 1 : 0;
    u.statusLed.set(rgb[0] * k, rgb[1] * k, rgb[2] * k);
  }
  trace(u, 'led');
  logDecision(u, d.log);
  trace(u, 'events');
  const s = u.state;
  const saved = u.saved;
  if (s.oopsed !== saved.oopsed || s.locked_out !== saved.locked_out || s.lockout_pending !== saved.lockout_pending) {
    saved.oopsed = s.oopsed;
    saved.locked_out = s.locked_out;
    saved.lockout_pending = s.lockout_pending;
    u.saveRecord();
  }
  trace(u, 'done');
}

/** The unit's two lines on the LCD, when it has one. */
export function showLines(u: UnitContext): void {
  if (!u.lcd) return;
  const l = u.lines();
  u.lcd.show(l[0], l[1]);
}

function logDecision(u: UnitContext, log: LogEvent[]): void {
  let any = false;
  for (const e of log) {
    const ev = deviceEventOf(e);
    if (ev) {
      u.event(ev);
      any = true;
    }
  }
  if (any) u.sync.trigger();
}
