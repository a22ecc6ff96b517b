// Whitespace and comment strip of an ES5 script on acorn's tokens: what is flashed. Identifiers
// and statements are untouched; a line break stays wherever the source had one between two
// tokens (so automatic semicolon insertion reads the code exactly as before), other gaps become
// one space only where the two neighbouring tokens would otherwise merge.
import * as acorn from 'acorn';

const WORD = /[A-Za-z0-9_$\\]/;

/** True when writing b straight after a would read differently (a+ +b, a / /re/, 1 .x, x in y). */
function needsSpace(a: string, b: string): boolean {
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

/** Strips comments and indentation; throws acorn's SyntaxError on bad input. */
export function compactScript(src: string): string {
  let out = '';
  let prevText = '';
  let prevEnd = 0;
  let first = true;
  for (const tok of acorn.tokenizer(src, { ecmaVersion: 5, sourceType: 'script' })) {
    const text = src.slice(tok.start, tok.end);
    if (!first) {
      const gap = src.slice(prevEnd, tok.start);
      if (/[\n\r\u2028\u2029]/.test(gap)) out += '\n';
      else if (needsSpace(prevText, text)) out += ' ';
    }
    out += text;
    prevText = text;
    prevEnd = tok.end;
    first = false;
  }
  return out + '\n';
}
