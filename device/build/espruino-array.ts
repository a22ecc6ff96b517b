// Espruino's Array, as declared in the interpreter's src/jswrap_array.c: the only static left to
// firmware is isArray, and these are the only Array methods (no at, lastIndexOf, reduceRight,
// findLast, copyWithin, keys/values/entries, toSorted...).
export const ESPRUINO_ARRAY_METHODS: readonly string[] = [
  'toString', 'indexOf', 'includes', 'join', 'push', 'pop', 'map', 'forEach', 'filter', 'find', 'findIndex', 'some',
  'every', 'reduce', 'splice', 'shift', 'unshift', 'slice', 'sort', 'concat', 'fill', 'reverse',
];
export const ESPRUINO_ARRAY_STATICS: readonly string[] = ['isArray'];
