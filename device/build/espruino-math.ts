// Espruino's Math object, member by member, as declared in the interpreter's src/jswrap_math.c:
// anything else on Math (trunc, imul, hypot, log10, cbrt, sinh, fround...) is undefined there.
export const ESPRUINO_MATH: readonly string[] = [
  'E', 'PI', 'LN2', 'LN10', 'LOG2E', 'LOG10E', 'SQRT2', 'SQRT1_2',
  'abs', 'acos', 'asin', 'atan', 'atan2', 'cos', 'sin', 'tan', 'pow', 'sqrt', 'exp', 'log',
  'ceil', 'floor', 'round', 'random', 'min', 'max', 'sign', 'clip', 'wrap',
];
