// Every earlier users.json, kept before the members list is replaced (import, rollback, reload):
// users-history/users-<revision>.json, each a plain users.json (an admin can copy one back by
// hand), numbered upwards, the oldest pruned beyond a count. An index (index.json) holds each
// revision's time, member count and reason so listing never parses member files. Folder 0700,
// files 0600 (member data).
import { readdir, readFile, rename, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseUsersJson, formatIssue, type UserRecord, type UsersRevision } from '@fobgate/shared';

export type { UsersRevision };
import { ensurePrivateDir, openPrivate } from './private-files.js';

/** Revisions kept by default. */
export const USERS_HISTORY_KEEP = 50;

const FILE_RE = /^users-(\d{1,9})\.json$/;

function fileName(revision: number): string {
  return `users-${String(revision).padStart(6, '0')}.json`;
}

async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await openPrivate(tmp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

export type ReadRevision = { ok: true; users: UserRecord[]; warnings: string[] } | { ok: false; message: string };

export class UsersHistory {
  readonly dir: string;
  private readonly keep: number;
  private index: UsersRevision[] | null = null;

  constructor(dir: string, keep: number = USERS_HISTORY_KEEP) {
    this.dir = dir;
    this.keep = Math.max(1, Math.floor(keep));
  }

  /** Revisions held, newest first. */
  async list(): Promise<UsersRevision[]> {
    return (await this.load()).slice().reverse();
  }

  /** Keeps `users` (the list about to be replaced) as the next revision; prunes the oldest. */
  async save(users: UserRecord[], reason: string, at: number): Promise<UsersRevision> {
    ensurePrivateDir(this.dir);
    const index = await this.load();
    const revision = (index.length ? index[index.length - 1].revision : 0) + 1;
    // one member per line: readable and diffable, a third smaller than indented JSON
    await writePrivate(join(this.dir, fileName(revision)), '[\n' + users.map((u) => JSON.stringify(u)).join(',\n') + '\n]\n');
    const entry: UsersRevision = { revision, saved_at: at, members: users.length, reason };
    index.push(entry);
    while (index.length > this.keep) {
      const old = index.shift() as UsersRevision;
      await unlink(join(this.dir, fileName(old.revision))).catch(() => undefined);
    }
    await writePrivate(join(this.dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
    return entry;
  }

  /**
   * save(), waited for at most `waitMs` (a stuck disk must not hold a request): the revision, or
   * 'timeout' (the write carries on) or 'error'.
   */
  async saveWithin(users: UserRecord[], reason: string, at: number, waitMs: number): Promise<UsersRevision | 'timeout' | 'error'> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, waitMs));
      timer.unref();
    });
    try {
      return await Promise.race([this.save(users, reason, at).catch(() => 'error' as const), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The members of a revision, validated like users.json (machines may have changed since). */
  async read(revision: number): Promise<ReadRevision> {
    const entry = (await this.load()).find((r) => r.revision === revision);
    if (!entry) return { ok: false, message: `users revision ${revision} is not kept (see the history)` };
    let text: string;
    try {
      text = await readFile(join(this.dir, fileName(revision)), 'utf8');
    } catch (e) {
      return { ok: false, message: `users revision ${revision} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
    const parsed = parseUsersJson(text, fileName(revision));
    if (!parsed.ok) return { ok: false, message: parsed.errors.map(formatIssue).join('\n') };
    return { ok: true, users: parsed.value, warnings: parsed.warnings.map(formatIssue) };
  }

  /** The index, or one rebuilt from the files when it is missing or unreadable. */
  private async load(): Promise<UsersRevision[]> {
    if (this.index) return this.index;
    let index: UsersRevision[] | null = null;
    const path = join(this.dir, 'index.json');
    if (existsSync(path)) {
      try {
        const raw = JSON.parse(await readFile(path, 'utf8')) as unknown;
        if (Array.isArray(raw) && raw.every(isRevision)) index = raw as UsersRevision[];
      } catch {
        index = null;
      }
    }
    if (!index) index = await this.rebuild();
    index.sort((a, b) => a.revision - b.revision);
    this.index = index;
    return index;
  }

  private async rebuild(): Promise<UsersRevision[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: UsersRevision[] = [];
    for (const n of names) {
      const m = FILE_RE.exec(n);
      if (m) out.push({ revision: Number(m[1]), saved_at: 0, members: -1, reason: 'found in the history folder' });
    }
    return out;
  }
}

function isRevision(x: unknown): boolean {
  const r = x as UsersRevision;
  return !!r && typeof r === 'object' && Number.isInteger(r.revision) && typeof r.saved_at === 'number' && typeof r.members === 'number' && typeof r.reason === 'string';
}
