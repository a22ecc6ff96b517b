// How long the sync waits after a failure: doubling from BACKOFF_FIRST_MS to BACKOFF_MAX_MS, each
// wait jittered so a fleet that lost its server does not come back in step.

export const BACKOFF_FIRST_MS = 1000;
export const BACKOFF_MAX_MS = 60000;

/** Delay before retry number `failures` (1 = first retry): doubling, capped, jittered to 50-100%. */
export function backoffMs(failures: number, random: () => number): number {
  let d = BACKOFF_FIRST_MS;
  for (let i = 1; i < failures && d < BACKOFF_MAX_MS; i++) d = d * 2;
  if (d > BACKOFF_MAX_MS) d = BACKOFF_MAX_MS;
  return Math.floor(d / 2 + (d / 2) * random());
}
