// The golden-vector recorder: wraps the exported functions of the Lua build's modules so every
// call a TypeScript test makes is written down (function, arguments before and after, result,
// and each call of a function it was handed), for golden.ts to replay in Lua and compare.
// Output: FOBGATE_LUA_RECORD (a JSON file) when the process exits.
//
// Encoding (JSON; Lua decodes it in driver.lua):
//   null {"$null":1}   undefined {"$u":1}   NaN/Infinity {"$n":"NaN"|"Infinity"|"-Infinity"}
//   Uint8Array {"$u8":[..]}   Uint32Array {"$u32":[..]}   ArrayBuffer {"$ab":[..]}
//   a function handed in {"$fn":id,"m":true if it is an object's method}
//   an export of the core (PURE_BASE64 ...) {"$export":name}
//   a function or object a recorded call returned, or an instance a recorded `new` made {"$ret":id}
// Calls: fn is an export's name, {new: class name} for `new` of a class of the core (DeltaMerge,
// FullListCheck, DigestJob), or {ret: id, method?: name} for a call of what a vector returned.
//   strings: characters above 255 mark the vector "wide" (Lua strings are bytes; see golden.ts)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const OUT = process.env.FOBGATE_LUA_RECORD;
const MAX_DEPTH = 60;
/**
 * Calls with large arguments (a whole list, say) are recorded at most BIG_PER_SITE times per call
 * site and function: a test that looks up every entry of a 3,000-member list one by one would
 * otherwise record the list 3,000 times. Small calls (decisions, codes, frames) are recorded up to
 * PER_SITE times per site (shared/lua/test/random.test.ts compares 4,000 random decisions apart).
 */
const BIG_BYTES = 2048;
const BIG_PER_SITE = 4;
/** And any call at most PER_SITE times per call site and function (a loop of random decisions). */
const PER_SITE = 1500;
const bigCounts = new Map();
/** Instances (ret ids) one of whose method calls went unrecorded: their later calls cannot replay. */
const tainted = new Set();
const siteCounts = new Map();
let capped = 0;

const calls = [];
/** callback id -> { calls: { [vectorId]: [{args, result, threw}] } } */
const callbacks = [];
const callbackIds = new WeakMap();
const exportNames = new Map(); // object/function -> export name
const returned = new WeakMap(); // object/function -> ret id
let nextRet = 1;
const active = []; // ids of the vectors being run (innermost last)

class Unrecordable extends Error {}

function isPlainObject(v) {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** A plain value (no functions) in the recording's encoding, for vectors made outside a test run. */
export function encodeValue(v) {
  return enc(v, { wide: false }, 0);
}

/** Encode a JS value. `state.wide` is set when a string holds a character above 255. */
function enc(v, state, depth, asMethod) {
  if (depth > MAX_DEPTH) throw new Unrecordable('value nested too deep');
  if (v === null) return { $null: 1 };
  if (v === undefined) return { $u: 1 };
  const t = typeof v;
  if (t === 'boolean') return v;
  if (t === 'number') {
    if (v !== v) return { $n: 'NaN' };
    if (v === Infinity) return { $n: 'Infinity' };
    if (v === -Infinity) return { $n: '-Infinity' };
    return v;
  }
  if (t === 'string') {
    for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 255) { state.wide = true; break; }
    return v;
  }
  if (t === 'function') {
    if (exportNames.has(v)) return { $export: exportNames.get(v) };
    if (returned.has(v)) return { $ret: returned.get(v) };
    return { $fn: callbackId(v), m: asMethod === true };
  }
  if (t !== 'object') throw new Unrecordable('cannot record a ' + t);
  if (exportNames.has(v)) return { $export: exportNames.get(v) };
  if (returned.has(v)) return { $ret: returned.get(v) };
  // by tag, not instanceof: values from another realm (node:vm) count too
  const tag = Object.prototype.toString.call(v);
  if (tag === '[object Uint8Array]') return { $u8: Array.from(v) };
  if (tag === '[object Uint32Array]') return { $u32: Array.from(v) };
  if (tag === '[object ArrayBuffer]') return { $ab: Array.from(new Uint8Array(v)) };
  if (ArrayBuffer.isView(v)) throw new Unrecordable('cannot record a ' + v.constructor.name);
  if (Array.isArray(v)) {
    const out = [];
    for (let i = 0; i < v.length; i++) out.push(enc(v[i], state, depth + 1));
    return out;
  }
  if (!isPlainObject(v)) throw new Unrecordable('cannot record an instance of ' + (v.constructor && v.constructor.name));
  const out = {};
  for (const k of Object.keys(v)) {
    if (k.startsWith('$')) throw new Unrecordable('object key ' + k);
    out[k] = enc(v[k], state, depth + 1, true);
  }
  return out;
}

function callbackId(fn) {
  let id = callbackIds.get(fn);
  if (id === undefined) {
    id = callbacks.length;
    callbacks.push({ calls: {} });
    callbackIds.set(fn, id);
  }
  return id;
}

/** The function the core is handed in place of a test's callback: records each call under the running (top-level) vector. */
function recordingCallback(fn, self) {
  const id = callbackId(fn);
  return function (...args) {
    const vector = active.length ? active[active.length - 1] : -1;
    const state = { wide: false };
    let entry;
    try {
      entry = { args: args.map((a) => enc(a, state, 0)) };
    } catch (e) {
      entry = { args: null, unrecordable: String(e.message) };
    }
    const log = callbacks[id].calls[vector] || (callbacks[id].calls[vector] = []);
    log.push(entry);
    try {
      const r = fn.apply(self === undefined ? this : self, args);
      try {
        entry.result = enc(r, state, 0);
        // what it wrote into its arguments (a codec's decodeInto fills `out`): replayed in Lua
        if (entry.args) {
          const after = args.map((a) => enc(a, { wide: false }, 0));
          if (JSON.stringify(after) !== JSON.stringify(entry.args)) entry.after = after;
        }
      } catch (e) {
        entry.unrecordable = String(e.message);
      }
      return r;
    } catch (e) {
      entry.threw = String(e && e.message ? e.message : e);
      throw e;
    }
  };
}

/** Functions reachable in a plain object (own properties, recursively). */
function hasFunctions(v, depth) {
  if (depth > 8 || v === null || typeof v !== 'object' || !isPlainObject(v)) return false;
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (typeof x === 'function' && !exportNames.has(x) && !returned.has(x)) return true;
    if (x && typeof x === 'object' && hasFunctions(x, depth + 1)) return true;
  }
  return false;
}

/** An argument as the core gets it: callbacks replaced by recording ones (objects through a proxy). */
function live(v, depth) {
  if (typeof v === 'function') return exportNames.has(v) || returned.has(v) ? v : recordingCallback(v);
  if (v === null || typeof v !== 'object' || exportNames.has(v) || returned.has(v) || !hasFunctions(v, 0)) return v;
  return new Proxy(v, {
    get(target, key, receiver) {
      const x = Reflect.get(target, key, receiver);
      if (typeof x === 'function' && typeof key === 'string') {
        return exportNames.has(x) || returned.has(x) ? x : recordingCallback(x, target);
      }
      if (x && typeof x === 'object' && depth < 8) return live(x, depth + 1);
      return x;
    },
  });
}

/** Mark a returned function/object (and its methods) so later calls and uses refer to it. */
function adoptReturned(v) {
  if (typeof v === 'function') {
    const id = nextRet++;
    const w = wrapFunction({ ret: id }, v);
    returned.set(w, id);
    return { value: w, id: id };
  }
  if (v && typeof v === 'object' && isPlainObject(v) && Object.keys(v).some((k) => typeof v[k] === 'function')) {
    const id = nextRet++;
    for (const k of Object.keys(v)) {
      if (typeof v[k] === 'function') v[k] = wrapFunction({ ret: id, method: k }, v[k]);
    }
    returned.set(v, id);
    return { value: v, id: id };
  }
  return { value: v, id: 0 };
}

/**
 * Where in a test file the call was made ("decision.test.ts:123"), and the chain of test-file
 * frames above it (a helper called from several tests is several sites for the caps below).
 */
function callSite() {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 12;
  const stack = String(new Error().stack || '').split('\n');
  Error.stackTraceLimit = limit;
  const frames = [];
  for (const line of stack) {
    const m = line.match(/\(?(file:\/\/[^)]+|\/[^):]+):(\d+):\d+\)?$/);
    if (!m) continue;
    const file = m[1].startsWith('file:') ? fileURLToPath(m[1]) : m[1];
    if (file.endsWith('recorder.mjs') || file.includes('fobgate-record') || file.includes('/node_modules/')) continue;
    if (!/\.(test|helpers?|fixtures?)\b|test-helpers|fixtures/.test(file)) continue;
    frames.push(file.split('/').slice(-1)[0] + ':' + m[2]);
  }
  return { site: frames.length ? frames[0] : '', chain: frames.join('<') };
}

/** A cheap upper bound of the encoded size of a value, stopping past `budget`. */
function roughSize(v, budget, depth) {
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') return 8;
  if (typeof v === 'string') return v.length + 2;
  if (typeof v !== 'object' || depth > 20) return 8;
  if (ArrayBuffer.isView(v)) return v.length * 11;
  if (Object.prototype.toString.call(v) === '[object ArrayBuffer]') return v.byteLength * 4;
  let n = 2;
  for (const k of Object.keys(v)) {
    n += k.length + 3 + roughSize(v[k], budget - n, depth + 1);
    if (n > budget) return n;
  }
  return n;
}

/**
 * An instance a recorded `new` made: its methods (own and inherited) become recording functions
 * of the vector that made it ({ret: id, method: name}), bound to it.
 */
function adoptInstance(obj) {
  const id = nextRet++;
  const names = new Set();
  for (let p = Object.getPrototypeOf(obj); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor' && typeof p[k] === 'function') names.add(k);
  }
  for (const k of names) {
    const w = wrapFunction({ ret: id, method: k }, obj[k].bind(obj));
    Object.defineProperty(obj, k, { value: w, enumerable: false, configurable: true, writable: true });
  }
  returned.set(obj, id);
  return { value: obj, id: id };
}

/** A class of the core: `new` is recorded as {new: name}, and the instance's method calls as calls of its result. */
function wrapClass(name, cls) {
  const target = { new: name };
  const W = function (...args) {
    if (!new.target) throw new TypeError('Class constructor ' + name + " cannot be invoked without 'new'");
    return wrapped.apply(undefined, args);
  };
  const wrapped = wrapFunction(target, cls, true);
  W.prototype = cls.prototype;
  return W;
}

function isClass(fn) {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

function wrapFunction(target, fn, construct) {
  const call_ = (self, args) => (construct ? Reflect.construct(fn, args) : fn.apply(self, args));
  const adopt = (v) => (construct ? adoptInstance(v) : adoptReturned(v));
  return function (...args) {
    // A call made inside a recorded one (a codec method the core calls, a test callback calling
    // the core) is part of that vector: its callbacks are logged under it, and the replay of the
    // outer call makes it again in Lua.
    if (active.length > 0) return call_(this, args);
    if (target.ret !== undefined && tainted.has(target.ret)) {
      capped++;
      return call_(this, args);
    }
    const where = callSite();
    const site = where.site;
    const siteKey = where.chain + ' ' + JSON.stringify(target);
    const seen = siteCounts.get(siteKey) || 0;
    siteCounts.set(siteKey, seen + 1);
    if (seen >= PER_SITE || (bigCounts.get(siteKey) || 0) >= BIG_PER_SITE && roughSize(args, BIG_BYTES, 0) > BIG_BYTES) {
      capped++;
      // an instance's state now differs from what a replay would reach: drop its later calls
      if (target.ret !== undefined) tainted.add(target.ret);
      // an instance made here is not replayed, so its method calls are not recorded either
      return construct ? call_(this, args) : adoptReturned(call_(this, args)).value;
    }
    const id = calls.length;
    const state = { wide: false };
    const call = { id: id, fn: target, site: site };
    calls.push(call);
    if (roughSize(args, BIG_BYTES, 0) > BIG_BYTES) bigCounts.set(siteKey, (bigCounts.get(siteKey) || 0) + 1);
    let before = null;
    try {
      before = args.map((a) => enc(a, state, 0));
      call.args = before;
    } catch (e) {
      call.unrecordable = String(e.message);
    }
    const liveArgs = call.unrecordable ? args : args.map((a) => live(a, 0));
    active.push(id);
    let result;
    try {
      result = call_(this, liveArgs);
    } catch (e) {
      active.pop();
      call.threw = String(e && e.message ? e.message : e);
      throw e;
    }
    active.pop();
    const adopted = adopt(result);
    if (!call.unrecordable) {
      try {
        call.result = adopted.id ? { $ret: adopted.id } : enc(result, state, 0);
        if (adopted.id) call.ret = adopted.id;
        const after = args.map((a) => enc(a, { wide: false }, 0));
        if (JSON.stringify(after) !== JSON.stringify(before)) call.after = after;
      } catch (e) {
        call.unrecordable = String(e.message);
      }
    }
    if (state.wide) {
      call.wide = true;
      if (!call.unrecordable && adopted.id === 0 && args.every((a) => !hasFunctions(a, 0))) recordBytesReading(target, fn, this, args, id);
    }
    return adopted.value;
  };
}

/** Every string in a value as its UTF-8 bytes, one character per byte (what a Lua host holds). */
function toBytes(v, depth) {
  if (typeof v === 'string') return Buffer.from(v, 'utf8').toString('latin1');
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH || ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) return v.map((x) => toBytes(x, depth + 1));
  if (!isPlainObject(v)) return v;
  const out = {};
  for (const k of Object.keys(v)) out[k] = toBytes(v[k], depth + 1);
  return out;
}

/**
 * A call whose strings hold characters above 255 cannot reach Lua as it is (Lua strings are
 * bytes): it is run once more on the UTF-8 bytes of its strings, and that run is the vector.
 */
function recordBytesReading(target, fn, self, args, of) {
  const id = calls.length;
  const bytes = args.map((a) => toBytes(a, 0));
  const call = { id: id, fn: target, site: calls[of].site, bytesOf: of };
  calls.push(call);
  try {
    call.args = bytes.map((a) => enc(a, { wide: false }, 0));
    active.push(id);
    let result;
    try {
      result = fn.apply(self, bytes.map((a) => live(a, 0)));
    } finally {
      active.pop();
    }
    call.result = enc(result, { wide: false }, 0);
    const after = bytes.map((a) => enc(a, { wide: false }, 0));
    if (JSON.stringify(after) !== JSON.stringify(call.args)) call.after = after;
  } catch (e) {
    call.unrecordable = 'its 8-bit reading failed: ' + String(e && e.message ? e.message : e);
  }
}

/** The module's exports with every function replaced by a recording one. */
export function wrapExports(path, real) {
  const out = {};
  for (const name of Object.keys(real)) {
    const v = real[name];
    if (typeof v === 'function') {
      const w = isClass(v) ? wrapClass(name, v) : wrapFunction(name, v);
      exportNames.set(w, name);
      exportNames.set(v, name);
      out[name] = w;
    } else {
      if (v !== null && typeof v === 'object') exportNames.set(v, name);
      out[name] = v;
    }
  }
  return out;
}

process.on('exit', () => {
  if (!OUT) return;
  writeFileSync(OUT, JSON.stringify({ calls: calls, callbacks: callbacks, capped: capped }));
});
