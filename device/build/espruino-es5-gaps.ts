// Members TypeScript's ES5 library declares that Espruino 2v29 does not have, by the library's
// interface name. Measured on the interpreter (espruino-2v29-esp32sim): every member of these
// interfaces in lib.es5.d.ts was read from a live value and these came back undefined (or threw).
// The chip type-check (chip-check.ts) refuses them; members beyond ES5 are not in the chip's
// library at all, and the few the interpreter has are declared in device/types/espruino-chip.d.ts.

const TYPED_ARRAY = ['BYTES_PER_ELEMENT', 'copyWithin', 'lastIndexOf', 'reduceRight', 'toLocaleString'];
const TYPED_ARRAY_CONSTRUCTOR = ['BYTES_PER_ELEMENT', 'of', 'from'];

export const ESPRUINO_ES5_GAPS: { readonly [libInterface: string]: readonly string[] } = {
  // `constructor` is missing on object literals too, but class instances are read through it by
  // nothing we write; it is left to the reviewer rather than flagged on every class.
  Object: ['toLocaleString', 'isPrototypeOf', 'propertyIsEnumerable'],
  ObjectConstructor: ['seal', 'freeze', 'preventExtensions', 'isSealed', 'isFrozen', 'isExtensible'],
  Function: ['arguments', 'caller'],
  String: ['localeCompare', 'search', 'toLocaleLowerCase', 'toLocaleUpperCase'],
  Number: ['toExponential', 'toPrecision', 'toLocaleString'],
  Date: [
    'toDateString', 'toTimeString', 'toLocaleString', 'toLocaleDateString', 'toLocaleTimeString',
    'getUTCFullYear', 'getUTCMonth', 'getUTCDate', 'getUTCDay', 'getUTCHours', 'getUTCMinutes', 'getUTCSeconds',
    'getUTCMilliseconds', 'setUTCMilliseconds', 'setUTCSeconds', 'setUTCMinutes', 'setUTCHours', 'setUTCDate',
    'setUTCMonth', 'setUTCFullYear',
  ],
  DateConstructor: ['UTC'],
  RegExp: ['global', 'ignoreCase', 'multiline', 'compile'],
  // Built-in errors carry no `name`: match errors on a `code` of our own.
  Error: ['name'],
  Array: ['toLocaleString', 'lastIndexOf', 'reduceRight'],
  ReadonlyArray: ['toLocaleString', 'lastIndexOf', 'reduceRight'],
  ArrayBuffer: ['slice'],
  Int8Array: TYPED_ARRAY,
  Uint8Array: TYPED_ARRAY,
  Uint8ClampedArray: TYPED_ARRAY,
  Int16Array: TYPED_ARRAY,
  Uint16Array: TYPED_ARRAY,
  Int32Array: TYPED_ARRAY,
  Uint32Array: TYPED_ARRAY,
  Float32Array: TYPED_ARRAY,
  Float64Array: TYPED_ARRAY,
  Int8ArrayConstructor: TYPED_ARRAY_CONSTRUCTOR,
  Uint8ArrayConstructor: TYPED_ARRAY_CONSTRUCTOR,
  Uint8ClampedArrayConstructor: TYPED_ARRAY_CONSTRUCTOR,
  Int16ArrayConstructor: TYPED_ARRAY_CONSTRUCTOR,
  Uint16ArrayConstructor: TYPED_ARRAY_CONSTRUCTOR,
  Int32ArrayConstructor: TYPED_ARRAY_CONSTRUCTOR,
  Uint32ArrayConstructor: TYPED_ARRAY_CONSTRUCTOR,
  Float32ArrayConstructor: TYPED_ARRAY_CONSTRUCTOR,
  Float64ArrayConstructor: TYPED_ARRAY_CONSTRUCTOR,
};
