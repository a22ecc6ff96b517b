// Module hooks of the golden-vector recorder: when a test file (or any module outside the Lua
// build) imports a module of the Lua build, it gets a wrapper whose exported functions record
// every call (arguments, result, callbacks) for replay in Lua (recorder.mjs). Imports between the
// core's own modules stay direct, so only what the tests call is recorded.
// FOBGATE_LUA_WRAP: JSON {absolute path: [exported value names]} of the Lua build's modules.
import { fileURLToPath, pathToFileURL } from 'node:url';

const WRAP = JSON.parse(process.env.FOBGATE_LUA_WRAP || '{}');
const TAG = '?fobgate-record';
const recorderUrl = new URL('./recorder.mjs', import.meta.url).href;

function pathOf(url) {
  if (!url || !url.startsWith('file:')) return null;
  return fileURLToPath(url.split('?')[0]);
}

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  const target = pathOf(r.url);
  if (target === null || !WRAP[target] || r.url.includes(TAG)) return r;
  const parent = pathOf(context.parentURL);
  if (parent !== null && WRAP[parent] && !(context.parentURL || '').includes(TAG)) return r; // core -> core
  if ((context.parentURL || '').includes(TAG)) return r; // the wrapper's own import of the real module
  return { ...r, url: r.url + TAG, shortCircuit: true };
}

export async function load(url, context, next) {
  if (!url.includes(TAG)) return next(url, context);
  const path = fileURLToPath(url.split('?')[0]);
  const names = WRAP[path];
  const real = pathToFileURL(path).href;
  const lines = [
    'import * as real from ' + JSON.stringify(real) + ';',
    'import { wrapExports } from ' + JSON.stringify(recorderUrl) + ';',
    'const w = wrapExports(' + JSON.stringify(path) + ', real);',
  ];
  for (const n of names) lines.push('export const ' + n + ' = w[' + JSON.stringify(n) + '];');
  return { format: 'module', source: lines.join('\n'), shortCircuit: true };
}
