// A small JSON record kept in two alternating Storage files (generation + checksum), so a
// power cut in the middle of a write leaves the previous value readable.
import type { FlashStore } from './hal.js';

/** Cheap 31-bit checksum of a string (detects torn or erased bytes, not an attacker). */
export function checksum(s: string): number {
  let h = 7;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) % 2147483647;
  return h;
}

interface Slot {
  gen: number;
  value: unknown;
}

function parseSlot(text: string | undefined): Slot | null {
  if (typeof text !== 'string') return null;
  const a = text.indexOf(' ');
  const b = a < 0 ? -1 : text.indexOf(' ', a + 1);
  if (a < 0 || b < 0) return null;
  const gen = parseInt(text.substring(0, a), 10);
  const sum = parseInt(text.substring(a + 1, b), 10);
  const json = text.substring(b + 1);
  if (!(gen >= 0) || checksum(gen + ' ' + json) !== sum) return null;
  try {
    return { gen: gen, value: JSON.parse(json) };
  } catch (e) {
    return null;
  }
}

export class DurableRecord<T> {
  private store: FlashStore;
  private base: string;
  private gen = 0;

  /** base: at most 27 characters (Storage names are limited to 28). */
  constructor(store: FlashStore, base: string) {
    this.store = store;
    this.base = base;
  }

  /** The newest intact value, or null when neither slot holds one. */
  load(): T | null {
    const a = parseSlot(this.store.read(this.base + '0'));
    const b = parseSlot(this.store.read(this.base + '1'));
    let best: Slot | null = a;
    if (b && (!best || b.gen > best.gen)) best = b;
    if (!best) return null;
    this.gen = best.gen;
    return best.value as T;
  }

  /** Writes the value into the slot not holding the newest one. */
  save(value: T): boolean {
    const gen = this.gen + 1;
    const json = JSON.stringify(value);
    const body = gen + ' ' + json;
    const ok = this.store.write(this.base + (gen % 2), gen + ' ' + checksum(body) + ' ' + json);
    if (ok) this.gen = gen;
    return ok;
  }

  /** Removes both slots. */
  clear(): void {
    this.store.erase(this.base + '0');
    this.store.erase(this.base + '1');
    this.gen = 0;
  }
}
