// Per-admin tokens for the admin API and the dashboard sign-in: each admin gets their own token,
// named, shown once when created and kept only as its SHA-256 (the tokens are 32 random bytes,
// so a fast hash is enough: nothing to brute-force). Revoking one ends its dashboard sessions
// (the caller does that). Kept in <state>/admins.json.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { JsonDoc } from './json-doc.js';

export interface AdminRecord {
  name: string;
  /** hex SHA-256 of the token. */
  hash: string;
  created_at: number;
}

interface AdminsFile {
  format: 1;
  admins: AdminRecord[];
}

/** What may be shown of an admin (never the hash). */
export interface AdminInfo {
  name: string;
  created_at: number;
}

/** Admin names: what `by` shows in Slack and the audit log. */
export const ADMIN_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,39}$/;

/** The built-in admin (the ADMIN_TOKEN) signs in under this name; no per-admin token may take it. */
export const MAIN_ADMIN = 'admin';

const TOKEN_PREFIX = 'fga_';

export function hashOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function fix(raw: unknown): AdminsFile {
  const out: AdminsFile = { format: 1, admins: [] };
  const list = raw && typeof raw === 'object' ? (raw as { admins?: unknown }).admins : null;
  if (!Array.isArray(list)) return out;
  for (const a of list) {
    if (!a || typeof a !== 'object') continue;
    const r = a as Partial<AdminRecord>;
    if (typeof r.name === 'string' && typeof r.hash === 'string' && /^[0-9a-f]{64}$/.test(r.hash)) {
      out.admins.push({ name: r.name, hash: r.hash, created_at: typeof r.created_at === 'number' ? r.created_at : 0 });
    }
  }
  return out;
}

export class AdminTokens {
  private constructor(
    private readonly doc: JsonDoc<AdminsFile>,
    private readonly clock: () => number,
  ) {}

  static async open(path: string | null, clock: () => number): Promise<AdminTokens> {
    const doc = await JsonDoc.open<AdminsFile>(path, () => ({ format: 1, admins: [] }), fix);
    return new AdminTokens(doc, clock);
  }

  list(): AdminInfo[] {
    return this.doc.data.admins.map((a) => ({ name: a.name, created_at: a.created_at }));
  }

  has(name: string): boolean {
    const lower = name.toLowerCase();
    return this.doc.data.admins.some((a) => a.name.toLowerCase() === lower);
  }

  /** Adds an admin and returns their token (the only time it exists outside the admin's hands). */
  async create(name: string): Promise<string> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    this.doc.data.admins.push({ name, hash: hashOf(token).toString('hex'), created_at: this.clock() });
    await this.doc.save();
    return token;
  }

  /** Removes an admin; false when there is none of that name. */
  async remove(name: string): Promise<boolean> {
    const before = this.doc.data.admins.length;
    this.doc.data.admins = this.doc.data.admins.filter((a) => a.name !== name);
    if (this.doc.data.admins.length === before) return false;
    await this.doc.save();
    return true;
  }

  /** The stored hash of an admin's token, or null. */
  hashOf(name: string): string | null {
    const a = this.doc.data.admins.find((x) => x.name === name);
    return a ? a.hash : null;
  }

  /** The admin whose token this is, or null. Compares every stored hash in constant time. */
  verify(token: string): string | null {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const given = hashOf(token);
    let found: string | null = null;
    for (const a of this.doc.data.admins) {
      if (timingSafeEqual(given, Buffer.from(a.hash, 'hex')) && found === null) found = a.name;
    }
    return found;
  }

  close(): Promise<void> {
    return this.doc.close();
  }
}
