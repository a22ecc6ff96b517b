// JSON text of a config file -> its value plus where each part of it is written. Parsing is
// jsonc-parser's (strict: no comments, no trailing commas), with JSON.parse as the final word on
// what is valid; this file turns the parser's error codes into messages that say what is wrong
// and where, finds duplicate keys (JSON.parse silently keeps the last one) and maps a JSON
// pointer back to its line. Node-side only (server, scripts): never bundled into the firmware.
import { createScanner, getLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';

/** A syntax problem or a duplicate key, with its place in the text (1-based). */
export interface JsonProblem {
  /** JSON pointer of the duplicate key ('' for syntax errors). */
  path: string;
  message: string;
  line: number;
  column: number;
  /** True for syntax errors (the document cannot be used); false for duplicate keys. */
  fatal: boolean;
}

export interface JsonDocument {
  /** What JSON.parse gives (undefined when the text is not valid JSON). */
  value: unknown;
  ok: boolean;
  problems: JsonProblem[];
  /** Line of the node at a JSON pointer, or of its nearest existing ancestor; null if unknown. */
  lineOf(pointer: string): number | null;
}

const PARSE_OPTIONS = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };
/** Longest key shown in a message or a path. */
const KEY_CUT = 80;

/** One JSON pointer segment (RFC 6901: "~" -> "~0", "/" -> "~1"), cut if absurdly long. */
export function pointerSegment(key: string): string {
  const k = key.length > KEY_CUT ? key.slice(0, KEY_CUT) + '...' : key;
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A value from the file, shown in a message (long strings are cut). */
export function quoteValue(s: string): string {
  const cut = s.length > 60 ? s.slice(0, 60) + '...' : s;
  return JSON.stringify(cut);
}

/** Offsets of line starts, for offset -> line/column. */
class LineIndex {
  private starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  /** 1-based line and column of an offset. */
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
}

function describeAt(text: string, pos: number): string {
  if (pos >= text.length) return 'the end of the file';
  const c = text.charCodeAt(pos);
  if (c > 32 && c < 127) return "'" + text.charAt(pos) + "'";
  return 'character U+' + c.toString(16).toUpperCase().padStart(4, '0');
}

function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

/** Container kind at an offset from the parser's location path: ']' in an array, '}' in an object. */
function closerAt(text: string, pos: number): string {
  const path = getLocation(text, pos).path;
  if (path.length === 0) return '';
  return typeof path[path.length - 1] === 'number' ? ']' : '}';
}

/** The property whose value ends just before `pos` (for "after the value of ..." messages). */
function keyBefore(text: string, pos: number): string | null {
  let q = pos - 1;
  while (q > 0 && ' \t\r\n'.indexOf(text.charAt(q)) >= 0) q--;
  const path = getLocation(text, q).path;
  const last = path[path.length - 1];
  return typeof last === 'string' ? last : null;
}

/** Where inside a string token the problem is, and what it is. */
function stringProblem(text: string, start: number, code: string): { pos: number; message: string } {
  for (let p = start + 1; p < text.length; p++) {
    const c = text.charCodeAt(p);
    if (c === 34) break;
    if (c < 32) return { pos: p, message: 'unescaped ' + describeAt(text, p) + ' inside a string (write a line break as \\n)' };
    if (c !== 92) continue;
    const e = text.charAt(p + 1);
    if (e === 'u') {
      if (!/^[0-9a-fA-F]{4}$/.test(text.slice(p + 2, p + 6))) return { pos: p, message: 'invalid \\u escape inside a string (needs 4 hex digits)' };
      p += 5;
    } else if (e.length > 0 && '"\\/bfnrt'.indexOf(e) < 0) {
      return { pos: p, message: 'invalid escape \\' + e + ' inside a string' };
    } else {
      p++;
    }
  }
  if (code === 'UnexpectedEndOfString') return { pos: start, message: 'unterminated string (missing closing ")' };
  return { pos: start, message: 'invalid string' };
}

/** The first syntax error, in words, at the offset it concerns. */
function explain(text: string, err: ParseError, root: Node | undefined): { pos: number; message: string } {
  const pos = err.offset;
  const ch = text.charAt(pos);
  const found = describeAt(text, pos);
  const code = printParseErrorCode(err.error);
  switch (code) {
    case 'UnexpectedEndOfString':
    case 'InvalidCharacter':
    case 'InvalidEscapeCharacter':
    case 'InvalidUnicode':
      return stringProblem(text, pos, code);
    case 'UnexpectedEndOfNumber': {
      const num = text.slice(pos, pos + err.length);
      return { pos, message: /[eE]/.test(num) ? 'invalid number (digits must follow the exponent)' : 'invalid number (digits must follow the decimal point)' };
    }
    case 'InvalidCommentToken':
    case 'UnexpectedEndOfComment':
      return { pos, message: 'comments are not allowed in JSON' };
    case 'EndOfFileExpected':
      return { pos, message: 'unexpected ' + found + ' after the end of the JSON document' };
    default:
      break;
  }
  if (pos >= text.length) {
    if (text.trim().length === 0) return { pos, message: 'the file is empty' };
    const closer = code === 'CloseBraceExpected' ? '}' : code === 'CloseBracketExpected' ? ']' : closerAt(text, pos);
    return { pos, message: 'unexpected end of the file' + (closer ? " (missing '" + closer + "')" : '') };
  }
  if (code === 'ColonExpected') {
    const key = keyBefore(text, pos);
    return { pos, message: "expected ':' after the property name" + (key !== null ? ' ' + quoteValue(key) : '') + ', found ' + found };
  }
  if (code === 'PropertyNameExpected') {
    if (ch === '}') return { pos, message: "trailing comma before '}'" };
    return { pos, message: 'expected a property name in double quotes, found ' + found };
  }
  if (code === 'ValueExpected' && ch === ']' && text.slice(0, pos).trim().endsWith(',')) {
    return { pos, message: "trailing comma before ']'" };
  }
  if (code === 'InvalidSymbol') {
    if (getLocation(text, pos).isAtPropertyKey) return { pos, message: 'expected a property name in double quotes, found ' + found };
    if (ch === '-') return { pos, message: 'invalid number' };
    if (root && pos >= root.offset + root.length) return { pos, message: 'unexpected ' + found + ' after the end of the JSON document' };
  }
  if (code === 'CommaExpected' || code === 'CloseBraceExpected' || code === 'CloseBracketExpected' ||
      (code === 'InvalidSymbol' && pos > 0 && !/[\s,[{:]/.test(text.charAt(pos - 1)))) {
    // "01": the parser read the number 0 and stopped at the 1.
    if (isDigit(ch) && text.charAt(pos - 1) === '0' && !/[0-9.eE]/.test(text.charAt(pos - 2) || ' ')) {
      return { pos: text.charAt(pos - 2) === '-' ? pos - 2 : pos - 1, message: 'numbers must not have leading zeros' };
    }
    if (closerAt(text, pos) === ']') return { pos, message: "expected ',' or ']' after an array element, found " + found };
    const key = keyBefore(text, pos);
    return { pos, message: "expected ',' or '}' after the value" + (key !== null ? ' of ' + quoteValue(key) : '') + ', found ' + found };
  }
  return { pos, message: 'expected a value, found ' + found };
}

/** The position JSON.parse names in its message ("... at position 12"), if any. */
function positionIn(message: string): number {
  const m = /position (\d+)/.exec(message);
  return m ? Number(m[1]) : 0;
}

/** Child nodes of an object by key: the LAST property of a name wins, as in JSON.parse. */
function childNode(node: Node, segment: string): Node | undefined {
  if (node.type === 'array') {
    if (!/^(0|[1-9][0-9]*)$/.test(segment)) return undefined;
    return node.children ? node.children[Number(segment)] : undefined;
  }
  if (node.type !== 'object' || !node.children) return undefined;
  for (let i = node.children.length - 1; i >= 0; i--) {
    const prop = node.children[i];
    if (prop.children && prop.children[0].value === segment) return prop.children[1] || prop.children[0];
  }
  return undefined;
}

// jsonc-parser's SyntaxKind values (a const enum in its typings, so not importable here).
const TOKEN_OPEN_BRACE = 1;
const TOKEN_CLOSE_BRACE = 2;
const TOKEN_OPEN_BRACKET = 3;
const TOKEN_CLOSE_BRACKET = 4;
const TOKEN_COMMA = 5;
const TOKEN_STRING = 10;
const TOKEN_EOF = 17;

interface Container {
  object: boolean;
  /** The enclosing container and this one's key or index in it (the pointer is built on demand). */
  parent: Container | null;
  at: string | number;
  /** Key -> line of its first occurrence (objects; made at the first key). */
  keys: Map<string, number> | null;
  key: string;
  index: number;
  expectKey: boolean;
}

function pointerTo(c: Container): string {
  let path = '';
  for (let x: Container | null = c; x !== null && x.parent !== null; x = x.parent) {
    path = '/' + (typeof x.at === 'number' ? String(x.at) : pointerSegment(x.at)) + path;
  }
  return path;
}

/**
 * Reports every repeated key of every object (at the repeat, naming the first occurrence's line).
 * Runs only on text JSON.parse accepted, over jsonc-parser's token stream: no tree is built.
 */
function findDuplicates(text: string, out: JsonProblem[]): void {
  const scanner = createScanner(text, true);
  const stack: Container[] = [];
  for (let t = scanner.scan(); t !== TOKEN_EOF; t = scanner.scan()) {
    const top = stack.length > 0 ? stack[stack.length - 1] : null;
    if (t === TOKEN_OPEN_BRACE || t === TOKEN_OPEN_BRACKET) {
      const at = top === null ? '' : top.object ? top.key : top.index;
      stack.push({ object: t === TOKEN_OPEN_BRACE, parent: top, at, keys: null, key: '', index: 0, expectKey: t === TOKEN_OPEN_BRACE });
    } else if (t === TOKEN_CLOSE_BRACE || t === TOKEN_CLOSE_BRACKET) {
      stack.pop();
    } else if (t === TOKEN_COMMA && top !== null) {
      if (top.object) top.expectKey = true;
      else top.index++;
    } else if (t === TOKEN_STRING && top !== null && top.object && top.expectKey) {
      const key = scanner.getTokenValue();
      const line = scanner.getTokenStartLine() + 1;
      top.expectKey = false;
      top.key = key;
      if (top.keys === null) top.keys = new Map();
      const first = top.keys.get(key);
      if (first === undefined) {
        top.keys.set(key, line);
        continue;
      }
      out.push({
        path: pointerTo(top) + '/' + pointerSegment(key),
        message: 'duplicate key ' + quoteValue(key) + ' (first on line ' + first + '; JSON would keep only the last)',
        line,
        column: scanner.getTokenStartCharacter() + 1,
        fatal: false,
      });
    }
  }
}

/** Strips a byte order mark (as UTF-16, or as its three UTF-8 bytes read as 8-bit text). */
function withoutBom(text: string): string {
  if (text.charCodeAt(0) === 0xfeff) return text.slice(1);
  if (text.slice(0, 3) === '\u00ef\u00bb\u00bf') return text.slice(3);
  return text;
}

/** Parses config text; never throws. */
export function readJsonDocument(raw: string): JsonDocument {
  const text = withoutBom(raw);
  const problems: JsonProblem[] = [];
  let lines: LineIndex | null = null;
  const lineIndex = (): LineIndex => (lines === null ? (lines = new LineIndex(text)) : lines);
  let value: unknown;
  let ok = true;
  try {
    value = JSON.parse(text);
  } catch (e) {
    ok = false;
    // Only now is the text parsed again, by jsonc-parser, to say where and what the error is.
    const errors: ParseError[] = [];
    let root: Node | undefined;
    try {
      root = parseTree(text, errors, PARSE_OPTIONS);
    } catch {
      errors.length = 0; // nested too deeply for the parser's recursion: JSON.parse's words
    }
    const where = errors.length > 0 ? explain(text, errors[0], root) : { pos: positionIn(String((e as Error).message)), message: String((e as Error).message) };
    const at = lineIndex().at(where.pos);
    problems.push({ path: '', message: 'invalid JSON: ' + where.message, line: at.line, column: at.column, fatal: true });
  }
  if (ok) {
    findDuplicates(text, problems);
  }
  // The tree is built only when an issue asks for its line (files with problems).
  let tree: Node | undefined | null = null;
  return {
    value,
    ok,
    problems,
    lineOf(pointer: string): number | null {
      if (tree === null) {
        try {
          tree = parseTree(text, [], PARSE_OPTIONS);
        } catch {
          tree = undefined;
        }
      }
      if (!tree) return null;
      let node: Node = tree;
      const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      for (const s of segments) {
        const next = childNode(node, s);
        if (!next) break;
        node = next;
      }
      return lineIndex().at(node.offset).line;
    },
  };
}
