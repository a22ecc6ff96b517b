// `require` as the simulated interpreter answers it: only the board profile's built-in modules
// (device/board/<profile>.json), each made once; anything else is "Module X not found".
import { cryptoModule } from './builtin-modules.js';
import { ramCheck, type EspruinoEnv } from './espruino-env.js';

function storageModule(env: EspruinoEnv): unknown {
  const st = env.storage;
  return {
    write: (name: unknown, data: unknown, offset?: unknown, size?: unknown) => {
      ramCheck(env, 'Storage.write', data);
      return st.write(name, data, offset, size);
    },
    read: st.read.bind(st), readJSON: st.readJSON.bind(st), writeJSON: st.writeJSON.bind(st),
    readArrayBuffer: st.readArrayBuffer.bind(st), erase: st.erase.bind(st), list: st.list.bind(st), compact: st.compact.bind(st),
    getFree: st.getFree.bind(st), getStats: st.getStats.bind(st), open: st.open.bind(st), eraseAll: st.eraseAll.bind(st),
  };
}

function httpModule(env: EspruinoEnv): unknown {
  env.http.ramCheck = (what, data) => ramCheck(env, what, data);
  return { request: env.http.request.bind(env.http), get: (o: unknown, cb: unknown) => { const r = env.http.request(o, cb); r.end(); return r; } };
}

function makeModule(env: EspruinoEnv, n: string, esp32: unknown): unknown {
  const realm = env.realm;
  switch (n) {
    case 'Storage':
      return storageModule(env);
    case 'http':
      return httpModule(env);
    case 'Wifi':
      return env.wifi.module();
    case 'neopixel':
      return env.neopixel.module();
    case 'crypto':
      return cryptoModule(() => realm, (s) => env.storage.names().some((f) => env.storage.text(f) === s), (what, data) => ramCheck(env, what, data));
    case 'ESP32':
      return esp32;
    default:
      throw realm.error('Module ' + n + ' is not simulated');
  }
}

/** The require() global; `esp32` is the ESP32 object when the profile has one. */
export function builtinRequire(env: EspruinoEnv, esp32: unknown): (name: unknown) => unknown {
  const cache: { [name: string]: unknown } = {};
  return (name: unknown) => {
    const n = String(name);
    if (env.modules.indexOf(n) < 0) throw env.realm.error('Module ' + n + ' not found');
    if (!cache[n]) cache[n] = makeModule(env, n, esp32);
    return cache[n];
  };
}
