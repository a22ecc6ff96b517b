// Whitespace and comment strip of an ES5 script on acorn's tokens: what is flashed. Identifiers
// and statements are untouched; a line break stays wherever the source had one between two
// tokens (so automatic semicolon insertion reads the code exactly as before), other gaps become
// one space only where the two neighbouring tokens would otherwise merge.
// With `lineBreaks: false` no line break is kept (each one is a character the interpreter lexes
// at every run of the code around it): for a script whose statements all end in an explicit `;`
// (esbuild's printer writes them). Proven, not assumed: the result must parse to the same syntax
// tree as the input, or compactScript throws.
import * as acorn from 'acorn';

const WORD = /[A-Za-z0-9_$\\]/;

/** True when writing b straight after a would read differently (a+ +b, a / /re/, 1 .x, x in y). */
export function needsSpace(a: string, b: string): boolean {
  const x = a.charAt(a.length - 1);
  const y = b.charAt(0);
  if (WORD.test(x) && WORD.test(y)) return true;
  if ((x === '+' || x === '-') && (y === x || y === '=')) return true;
  if (x === '/' && (y === '/' || y === '*')) return true;
  if (/[0-9]/.test(x) && y === '.') return true;
  if (x === '<' && y === '!') return true; // `<!--` opens an HTML comment
  if (x === '-' && y === '>') return true; // `-->` at a line start closes one
  return false;
}

export interface CompactOptions {
  /** Keep a line break where the source had one (default true). */
  lineBreaks?: boolean;
}

/** The syntax tree of an ES5 script without positions, as text (to compare two layouts). */
function treeOf(code: string): string {
  const tree = acorn.parse(code, { ecmaVersion: 5, sourceType: 'script' });
  return JSON.stringify(tree, (k, v: unknown) => (k === 'start' || k === 'end' ? undefined : v));
}

/** Strips comments and indentation; throws acorn's SyntaxError on bad input. */
export function compactScript(src: string, opts: CompactOptions = {}): string {
  const keepBreaks = opts.lineBreaks !== false;
  let out = '';
  let prevText = '';
  let prevEnd = 0;
  let first = true;
  for (const tok of acorn.tokenizer(src, { ecmaVersion: 5, sourceType: 'script' })) {
    const text = src.slice(tok.start, tok.end);
    if (!first) {
      const gap = src.slice(prevEnd, tok.start);
      if (keepBreaks && /[\n\r\u2028\u2029]/.test(gap)) out += '\n';
      else if (needsSpace(prevText, text)) out += ' ';
    }
    out += text;
    prevText = text;
    prevEnd = tok.end;
    first = false;
  }
  out += '\n';
  if (!keepBreaks && treeOf(out) !== treeOf(src)) {
    throw new Error('compactScript: without its line breaks the script reads differently (a statement relies on automatic semicolon insertion)');
  }
  return out;
}
