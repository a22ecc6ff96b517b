// Espruino's pretokenised form of an ES5 script, built here at build time: reserved words and
// multi-character operators become one byte each, strings and small integers a marker byte and
// their raw value, and no whitespace is kept except where two words would merge. Espruino 2v29's
// lexer reads these bytes as the tokens themselves (src/jslex.h: "The Web IDE/Bangle.js App Loader
// can pretokenise code", token numbers fixed there), so code run from Storage in this form needs
// less lexing. The byte values below are the token numbers of Espruino 2v29's LEX_TYPES.
//
// Used by device/bench/tap.bench.ts (--pretokenised) to measure it; NOT what is flashed: the
// result has bytes over 0x7F, which the espruino CLI's upload path and the flash tool's
// digest check do not carry today (docs/on-chip.md, "Speed").
import * as acorn from 'acorn';
import { needsSpace } from './compact.js';

/** Multi-character operators, in token order from 138 (LEX_EQUAL) on. */
const OPERATORS = ['==', '===', '!=', '!==', '<=', '<<', '<<=', '>=', '>>', '>>>', '>>=', '>>>=', '+=', '-=', '++', '--', '*=', '/=', '%=', '&=', '&&', '|=', '||', '^=', '=>'];
/** Words the lexer always reads as reserved, in token order from 163 (LEX_R_IF) on. */
const WORDS = ['if', 'else', 'do', 'while', 'for', 'break', 'continue', 'function', 'return', 'var', 'let', 'const', 'this', 'throw', 'try', 'catch', 'finally', 'true', 'false', 'null', 'undefined', 'new', 'in', 'instanceof', 'switch', 'case', 'default', 'delete', 'typeof', 'void', 'debugger', 'class', 'extends', 'super', 'static', 'of'];
const FIRST_OPERATOR = 138;
const FIRST_WORD = 163;
const RAW_STRING8 = 209;
const RAW_STRING16 = 210;
const RAW_INT0 = 211;
const RAW_INT8 = 212;
const RAW_INT16 = 213;

// no prototype: `TOKEN.hasOwnProperty` (a property name in the firmware) must not be found
const TOKEN: { [text: string]: number } = Object.create(null) as { [text: string]: number };
OPERATORS.forEach((o, i) => (TOKEN[o] = FIRST_OPERATOR + i));
WORDS.forEach((w, i) => (TOKEN[w] = FIRST_WORD + i));

function bytes(list: number[]): string {
  return String.fromCharCode.apply(null, list);
}

function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Which kinds of token are encoded (all by default). */
export interface PretokeniseOptions {
  words?: boolean;
  operators?: boolean;
  strings?: boolean;
  integers?: boolean;
}

/** One token's pretokenised bytes, or null to copy its text. */
function encode(tok: acorn.Token, text: string, o: PretokeniseOptions): string | null {
  if (tok.type === acorn.tokTypes.string) {
    if (o.strings === false) return null;
    const v = (tok as unknown as { value: string }).value;
    if (v.length === 0 || v.length > 0xffff || !isLatin1(v)) return null;
    const head = v.length < 256 ? [RAW_STRING8, v.length] : [RAW_STRING16, v.length & 0xff, v.length >> 8];
    return bytes(head) + v;
  }
  if (tok.type === acorn.tokTypes.num) {
    if (o.integers === false) return null;
    // only integers the lexer itself reads as integers (a float literal such as 1e3 stays a float)
    if (!/^(0|[1-9][0-9]*)$/.test(text)) return null;
    const n = (tok as unknown as { value: number }).value;
    if (n === 0) return bytes([RAW_INT0]);
    if (n < 128) return bytes([RAW_INT8, n]);
    if (n < 32768) return bytes([RAW_INT16, n & 0xff, n >> 8]);
    return null;
  }
  if (tok.type === acorn.tokTypes.regexp) return null;
  const t = TOKEN[text];
  if (t === undefined) return null;
  if (t >= FIRST_WORD ? o.words === false : o.operators === false) return null;
  return bytes([t]);
}

/** The pretokenised bytes of an ES5 script, as a latin1 string; throws acorn's error on bad input. */
export function pretokenise(code: string, opts: PretokeniseOptions = {}): string {
  let out = '';
  let prev = ''; // text of the previous token when it was copied as text, else ''
  for (const tok of acorn.tokenizer(code, { ecmaVersion: 5, sourceType: 'script' })) {
    const text = code.slice(tok.start, tok.end);
    const enc = encode(tok, text, opts);
    if (enc !== null) {
      out += enc;
      prev = '';
    } else {
      // between two tokens copied as text, the same spacing rule as the comment strip's
      if (prev !== '' && needsSpace(prev, text)) out += ' ';
      out += text;
      prev = text;
    }
  }
  return out;
}
