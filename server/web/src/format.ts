// Times and durations as the dashboard writes them.

/** 75_000 -> "1 min 15 s"; 7_500_000 -> "2 h 5 min"; 3 days -> "3 d 0 h". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** Local date and time, to the second. */
export function when(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Server time minus browser time (the server's clock is the one that stamped every time). */
let offset = 0;
export function setServerTime(serverNow: number): void {
  offset = serverNow - Date.now();
}
export function serverNow(): number {
  return Date.now() + offset;
}
