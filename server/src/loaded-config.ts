// The configuration in memory: users (with an index from fob code to user), machines, and when
// each was loaded (the config metrics). Who may use a machine today is answered here: the fob's
// user as the decision core's Subject.
import { statSync } from 'node:fs';
import { subjectFor, type MachineConfig, type MachinesConfig, type Subject, type UserRecord } from '@fobgate/shared';
import { errors } from './errors.js';

const two = (n: number): string => (n < 10 ? '0' + n : String(n));

/** YYYY-MM-DD of an epoch ms in the server's local time zone. */
export function ymdOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

export class LoadedConfig {
  users: UserRecord[] = [];
  readonly machines: MachinesConfig;
  /** The machines by name, for the per-request lookup (a Map: names come from request bodies). */
  private readonly machineByName: Map<string, MachineConfig>;
  /** users.json path (its mtime is a metric) or null when users live only in memory. */
  readonly usersPath: string | null;
  private readonly clock: () => number;
  private fobIndex: { [fob: string]: UserRecord } = {};
  /** The first user of each account id (a logout names the member as users.json names them now). */
  private accountIndex = new Map<string, UserRecord>();
  /** How many fob codes the users hold (a metric). */
  fobs = 0;
  usersLoadedAt = 0;
  usersMtime: number | null = null;
  readonly machinesLoadedAt: number;
  /** Today's date and the local-time span it covers: every card decision asks for it. */
  private day = { ymd: '', from: 0, until: -1 };

  /** `loadedAt`: when the machines were loaded (the app's start). */
  constructor(o: { users: UserRecord[]; machines: MachinesConfig; usersPath: string | null; clock: () => number; loadedAt: number }) {
    this.clock = o.clock;
    this.usersPath = o.usersPath;
    this.machines = o.machines;
    this.machineByName = new Map(o.machines.names.map((n) => [n, o.machines.byName[n]]));
    this.machinesLoadedAt = o.loadedAt;
    this.setUsers(o.users);
  }

  /** Takes a new users list: the fob index, the load time and users.json's mtime follow it. */
  setUsers(users: UserRecord[]): void {
    this.users = users;
    const index: { [fob: string]: UserRecord } = {};
    let n = 0;
    for (const u of users) {
      for (const f of u.fob_codes) {
        index[f] = u;
        n++;
      }
    }
    this.fobIndex = index;
    this.fobs = n;
    const accounts = new Map<string, UserRecord>();
    for (const u of users) if (!accounts.has(u.account_id)) accounts.set(u.account_id, u);
    this.accountIndex = accounts;
    this.usersLoadedAt = this.clock();
    this.usersMtime = null;
    if (this.usersPath) {
      try {
        this.usersMtime = statSync(this.usersPath).mtimeMs;
      } catch {
        this.usersMtime = null;
      }
    }
  }

  machine(name: string): MachineConfig | null {
    return this.machineByName.get(name) ?? null;
  }

  machineOr404(name: string): MachineConfig {
    const m = this.machine(name);
    if (!m) throw errors.noSuchMachine(name);
    return m;
  }

  today(): string {
    const now = this.clock();
    if (now >= this.day.from && now < this.day.until) return this.day.ymd;
    const d = new Date(now);
    // local midnights (a day is 23 or 25 hours when the clocks change)
    const from = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
    const until = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
    this.day = { ymd: ymdOf(now), from, until };
    return this.day.ymd;
  }

  userForFob(fob: string): UserRecord | null {
    return Object.prototype.hasOwnProperty.call(this.fobIndex, fob) ? this.fobIndex[fob] : null;
  }

  /** The user holding `accountId` (the first one listed, should users.json list it twice), or null. */
  userForAccount(accountId: string): UserRecord | null {
    return this.accountIndex.get(accountId) ?? null;
  }

  subject(m: MachineConfig, fob: string): Subject | null {
    const u = this.userForFob(fob);
    return u ? subjectFor(u, m, fob, this.today()) : null;
  }
}
