// Local names shortened (esbuild's identifier minifier on the finished ES5 script): Espruino runs
// the program text and looks every name up by string, so a long local name costs lexing at every
// use (on the Linux build each 16 bytes of code in flash is one file read) and, when a call runs,
// RAM for the name in its scope. Only names bound inside the firmware's function are renamed:
// top-level names (`fobgateFirmware`), globals read from the interpreter (`require`, `E`,
// `FG_TRACE`, ...), property names and strings stay as written. Layout is left to compact.ts.
import { transformSync } from 'esbuild';

/** The script with its local names shortened; throws esbuild's error on bad input. */
export function mangleLocals(code: string): string {
  return transformSync(code, {
    loader: 'js',
    target: 'es5',
    charset: 'ascii',
    legalComments: 'none',
    minifyIdentifiers: true,
    minifySyntax: false,
    minifyWhitespace: false,
  }).code;
}
