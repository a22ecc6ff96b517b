// Espruino's Number, as declared in the interpreter's src/jswrap_number.c: these statics and the
// one method toFixed (plus Object's toString/valueOf); no isFinite/isNaN/isInteger/parseInt/EPSILON.
export const ESPRUINO_NUMBER_STATICS: readonly string[] = ['NaN', 'MAX_VALUE', 'MIN_VALUE', 'NEGATIVE_INFINITY', 'POSITIVE_INFINITY'];
export const ESPRUINO_NUMBER_METHODS: readonly string[] = ['toFixed'];
