// The global list version in the state: bumped whenever the users or machines change (a unit
// whose list is older downloads the new one). The configuration's digest, kept in the state,
// tells a restart whether the config files changed while the server was down.
import { createHash } from 'node:crypto';
import type { MachinesConfig, UserRecord } from '@fobgate/shared';
import type { Store } from './store.js';
import type { FleetFeed } from './dashboard/fleet-feed.js';

export function configDigestOf(users: UserRecord[], machines: MachinesConfig): string {
  return createHash('sha256').update(JSON.stringify([users, machines])).digest('hex');
}

/** A new list version: issued now, and every machine's dashboard row changes. */
export function bumpListVersion(store: Store, clock: () => number, feed: FleetFeed): number {
  const data = store.data;
  data.list_version++;
  data.list_issued_at = clock();
  feed.touchAll();
  return data.list_version;
}

/**
 * Bumps the list version when users or machines changed since the digest was stored (the first
 * run only stores it and stamps the first list's issue time); true when the state changed.
 */
export function syncConfigDigest(store: Store, users: UserRecord[], machines: MachinesConfig, clock: () => number, feed: FleetFeed): boolean {
  const digest = configDigestOf(users, machines);
  const data = store.data;
  if (data.config_digest === digest) return false;
  const first = data.config_digest === '';
  data.config_digest = digest;
  if (!first) bumpListVersion(store, clock, feed);
  else if (data.list_issued_at === 0) data.list_issued_at = clock();
  return true;
}
