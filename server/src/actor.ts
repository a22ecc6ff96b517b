// Who did an admin action and through what, carried in the one `by` string that travels with
// the action (into a unit's command and back in its event, into the audit log and Slack):
// "jane via Slack", "alice via dashboard"; anything else ("admin", a script's name) came through
// the API. The Slack texts say "via Slack by jane" where dm_mac says "via API by unknown user".

export type ActionChannel = 'API' | 'Slack' | 'dashboard';

const VIA_RE = /^(.+) via (Slack|dashboard)$/;

/** The `by` of an action taken by `name` through `via` (at most 64 characters, as the API takes). */
export function actorBy(name: string, via: 'Slack' | 'dashboard'): string {
  const suffix = ` via ${via}`;
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '').trim() || 'someone';
  return clean.slice(0, 64 - suffix.length) + suffix;
}

/** Who (`name`) and through what (`via`) from a `by`; `named` false for a plain API call. */
export function parseActor(by: string): { name: string; via: ActionChannel; named: boolean } {
  const m = VIA_RE.exec(by);
  if (m) return { name: m[1], via: m[2] as ActionChannel, named: true };
  return { name: by, via: 'API', named: false };
}
