// Espruino's String, as declared in the interpreter's src/jswrap_string.c: the only static is
// fromCharCode, and these are the only String methods (plus Object's toString/valueOf...).
export const ESPRUINO_STRING_METHODS: readonly string[] = [
  'charAt', 'charCodeAt', 'indexOf', 'lastIndexOf', 'match', 'replace', 'replaceAll', 'substring', 'substr', 'slice',
  'split', 'toLowerCase', 'toUpperCase', 'removeAccents', 'trim', 'concat', 'startsWith', 'endsWith', 'includes',
  'repeat', 'padStart', 'padEnd',
];
export const ESPRUINO_STRING_STATICS: readonly string[] = ['fromCharCode'];
