// @fobgate/shared as the firmware sees it (package condition "espruino"): the runtime-neutral
// core that is bundled into the unit and type-checked against Espruino's library
// (device/tsconfig.chip.json). Nothing here may use Node or an ES2015+ library call the
// interpreter lacks; the clock, randomness and hashing are passed in.
export * from './errors.js';
export * from './fob.js';
export * from './wiegand.js';
export * from './config-types.js';
export * from './hmac.js';
export * from './decision-types.js';
export * from './decision.js';
export * from './authlist.js';
export * from './protocol.js';
