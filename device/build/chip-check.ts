// The chip type-check: the firmware's sources (device/src and the part of @fobgate/shared it
// bundles) compiled against what the interpreter has — TypeScript's ES5 library plus the Espruino
// globals of device/types/ (device/tsconfig.chip.json) — so a Node API or an ES2015+ library
// call is a type error. On top of the compiler's own diagnostics it refuses what type-checks but
// does not run on Espruino 2v29: async/await and generators, ES5 members the interpreter lacks
// (espruino-es5-gaps.ts), reading a method through a built-in's prototype, and `arr.length = n`.
// The post-bundle gate (gate.ts) stays as the second line.
//
//   npx tsx device/build/chip-check.ts        prints `file(line,col): error ...`, exits 1 on any
import ts from 'typescript';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESPRUINO_ES5_GAPS } from './espruino-es5-gaps.js';

export const DEVICE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CHIP_TSCONFIG = join(DEVICE_DIR, 'tsconfig.chip.json');

export interface ChipDiagnostic {
  file: string;
  line: number;
  column: number;
  /** `TS2304` for the compiler's own, `chip` for this checker's rules. */
  code: string;
  message: string;
}

/** Built-ins whose prototype the interpreter will not hand out (only Object.prototype works). */
const PROTOTYPE_READABLE = ['ObjectConstructor'];

/** The compiler options and root files of tsconfig.chip.json. */
export function chipConfig(tsconfig: string = CHIP_TSCONFIG): { options: ts.CompilerOptions; fileNames: string[]; errors: readonly ts.Diagnostic[] } {
  const read = ts.readConfigFile(tsconfig, ts.sys.readFile);
  if (read.error) return { options: {}, fileNames: [], errors: [read.error] };
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(tsconfig), undefined, tsconfig);
  return { options: { ...parsed.options, noEmit: true }, fileNames: parsed.fileNames, errors: parsed.errors };
}

function position(node: ts.Node): { file: string; line: number; column: number } {
  const sf = node.getSourceFile();
  const lc = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return { file: sf.fileName, line: lc.line + 1, column: lc.character + 1 };
}

/** The lib interface a symbol is declared in ("ObjectConstructor"), when it comes from a default lib file. */
function libOwners(program: ts.Program, symbol: ts.Symbol | undefined): string[] {
  const out: string[] = [];
  for (const d of (symbol && symbol.declarations) || []) {
    if (!program.isSourceFileDefaultLibrary(d.getSourceFile())) continue;
    const parent = d.parent;
    if (parent && ts.isInterfaceDeclaration(parent)) out.push(parent.name.text);
  }
  return out;
}

function isArrayLike(checker: ts.TypeChecker, t: ts.Type): boolean {
  const types = t.isUnion() ? t.types : [t];
  return types.some((x) => checker.isArrayType(x) || /^(Readonly)?Array$|^(Int|Uint|Float)(8|16|32|64)(Clamped)?Array$/.test((x.getSymbol() || { name: '' }).name));
}

/** This checker's rules over one source file. */
function chipRules(program: ts.Program, sf: ts.SourceFile, out: ChipDiagnostic[]): void {
  const checker = program.getTypeChecker();
  const report = (node: ts.Node, message: string) => out.push({ ...position(node), code: 'chip', message });

  const memberRule = (node: ts.Node, nameNode: ts.Node, name: string) => {
    for (const owner of libOwners(program, checker.getSymbolAtLocation(nameNode))) {
      const gaps = ESPRUINO_ES5_GAPS[owner];
      if (gaps && gaps.indexOf(name) >= 0) {
        report(node, '`' + owner.replace(/Constructor$/, '') + (owner.endsWith('Constructor') ? '.' : '#') + name + '` does not exist on Espruino 2v29');
        return;
      }
    }
    if (name === 'prototype') {
      const owners = libOwners(program, checker.getSymbolAtLocation(nameNode));
      if (owners.length > 0 && owners.every((o) => PROTOTYPE_READABLE.indexOf(o) < 0)) {
        report(node, "reading a built-in's prototype gives undefined on Espruino (only Object.prototype works): call the method on a value");
      }
    }
  };

  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) {
      const mods = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
      if (mods && mods.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) {
        report(node, 'async functions do not run on Espruino (no generators; the helpers cost ~490 variables): use callbacks');
      }
      if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node)) && node.asteriskToken) {
        report(node, 'generators do not run on Espruino');
      }
    } else if (ts.isAwaitExpression(node)) {
      report(node, '`await` does not run on Espruino: use callbacks');
    } else if (ts.isYieldExpression(node)) {
      report(node, '`yield` does not run on Espruino');
    } else if (ts.isPropertyAccessExpression(node)) {
      memberRule(node, node.name, node.name.text);
    } else if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
      memberRule(node, node.argumentExpression, node.argumentExpression.text);
    } else if (
      ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) && node.left.name.text === 'length' &&
      isArrayLike(checker, checker.getTypeAtLocation(node.left.expression))
    ) {
      report(node, '`arr.length = n` throws "Assignment to a constant" on Espruino 2v29: use arr.splice(n) or a new array');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

function fromTs(d: ts.Diagnostic): ChipDiagnostic {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return { file: '', line: 0, column: 0, code: 'TS' + d.code, message };
  const lc = d.file.getLineAndCharacterOfPosition(d.start);
  return { file: d.file.fileName, line: lc.line + 1, column: lc.character + 1, code: 'TS' + d.code, message };
}

/**
 * Type-checks chip code. Without `rootNames`, the files tsconfig.chip.json names; with them,
 * those files plus the Espruino declarations (how the test compiles its sample files).
 */
export function checkChip(opts: { rootNames?: string[]; tsconfig?: string } = {}): { diagnostics: ChipDiagnostic[]; files: string[] } {
  const cfg = chipConfig(opts.tsconfig);
  if (cfg.errors.length > 0) return { diagnostics: cfg.errors.map(fromTs), files: [] };
  const declarations = cfg.fileNames.filter((f) => f.endsWith('.d.ts'));
  const rootNames = opts.rootNames ? declarations.concat(opts.rootNames) : cfg.fileNames;
  const program = ts.createProgram({ rootNames, options: cfg.options });
  const out = ts.getPreEmitDiagnostics(program).map(fromTs);
  const files: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || program.isSourceFileDefaultLibrary(sf) || sf.fileName.indexOf('/node_modules/') >= 0) continue;
    files.push(sf.fileName);
    chipRules(program, sf, out);
  }
  out.sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1));
  return { diagnostics: out, files };
}

export function formatChipDiagnostic(d: ChipDiagnostic, base: string = process.cwd()): string {
  const where = d.file ? relative(base, d.file) + '(' + d.line + ',' + d.column + '): ' : '';
  return where + 'error ' + d.code + ': ' + d.message;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { diagnostics, files } = checkChip();
  for (const d of diagnostics) console.log(formatChipDiagnostic(d));
  const shared = files.filter((f) => f.indexOf('/shared/') >= 0).length;
  console.log(
    diagnostics.length === 0
      ? 'chip types: ok: ' + files.length + ' files (' + (files.length - shared) + ' device, ' + shared + ' shared) against ES5 + Espruino 2v29'
      : 'chip types: ' + diagnostics.length + ' errors',
  );
  process.exit(diagnostics.length === 0 ? 0 : 1);
}
