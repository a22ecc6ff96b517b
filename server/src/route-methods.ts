// Which methods each registered path answers, so that a request for an existing path with a
// method it does not serve gets 405 (with `Allow`) instead of 404, as dm_mac answers. Routes are
// recorded by fastify's onRoute hook; paths are matched segment by segment (`:param` matches one
// non-empty segment, a trailing `*` the rest).

interface PathEntry {
  segments: string[];
  wildcard: boolean;
  methods: Set<string>;
  /** A dm_mac route: its error bodies carry only dm_mac's keys. */
  legacy: boolean;
}

export interface AllowedMethods {
  /** Methods answered at `path` (sorted), or [] when no route has that path. */
  methods: string[];
  legacy: boolean;
}

export class RouteMethods {
  private readonly byPattern = new Map<string, PathEntry>();

  /** Records one route (fastify's onRoute): its path pattern and method(s). */
  add(url: string, method: string | string[], legacy: boolean): void {
    let entry = this.byPattern.get(url);
    if (!entry) {
      const wildcard = url.endsWith('*');
      const body = wildcard ? url.slice(0, -1) : url;
      entry = { segments: body.split('/'), wildcard, methods: new Set(), legacy: false };
      this.byPattern.set(url, entry);
    }
    for (const m of Array.isArray(method) ? method : [method]) entry.methods.add(m.toUpperCase());
    if (legacy) entry.legacy = true;
  }

  /** The methods some route answers at this concrete path (query string excluded). */
  allowed(path: string): AllowedMethods {
    const parts = path.split('/');
    const methods = new Set<string>();
    let legacy = false;
    for (const entry of this.byPattern.values()) {
      if (!matches(entry, parts)) continue;
      for (const m of entry.methods) methods.add(m);
      if (entry.legacy) legacy = true;
    }
    return { methods: Array.from(methods).sort(), legacy };
  }
}

function matches(entry: PathEntry, parts: string[]): boolean {
  const seg = entry.segments;
  if (entry.wildcard) {
    if (parts.length < seg.length) return false;
  } else if (parts.length !== seg.length) {
    return false;
  }
  for (let i = 0; i < seg.length; i++) {
    const want = seg[i];
    const got = parts[i];
    if (entry.wildcard && i === seg.length - 1) return got.startsWith(want);
    if (want.startsWith(':')) {
      if (got === '') return false;
    } else if (want !== got) {
      return false;
    }
  }
  return true;
}
