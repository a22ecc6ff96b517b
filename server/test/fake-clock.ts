// A manual clock for tests: now(), one-shot timers with cancellers, and advance(ms) that fires
// due timers in time order.

export interface FakeClock {
  now(): number;
  setTimer(fn: () => void, ms: number): () => void;
  advance(ms: number): void;
  /** Timers armed and not yet fired or cancelled. */
  pending(): number;
}

export function createFakeClock(start = 0): FakeClock {
  let time = start;
  let seq = 0;
  const timers: Array<{ id: number; at: number; fn: () => void }> = [];
  return {
    now: () => time,
    setTimer(fn, ms) {
      const id = ++seq;
      timers.push({ id, at: time + ms, fn });
      return () => {
        const i = timers.findIndex((t) => t.id === id);
        if (i >= 0) timers.splice(i, 1);
      };
    },
    advance(ms) {
      const end = time + ms;
      for (;;) {
        let next = -1;
        for (let i = 0; i < timers.length; i++) {
          if (timers[i].at <= end && (next < 0 || timers[i].at < timers[next].at)) next = i;
        }
        if (next < 0) break;
        const t = timers.splice(next, 1)[0];
        time = t.at;
        t.fn();
      }
      time = end;
    },
    pending: () => timers.length,
  };
}

/** Let queued promise callbacks run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
