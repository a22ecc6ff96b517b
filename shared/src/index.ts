// @fobgate/shared: the runtime-neutral core used by the server and bundled into the firmware.
export * from './errors.js';
export * from './fob.js';
export * from './wiegand.js';
export * from './config-types.js';
export * from './config.js';
export * from './hmac.js';
export * from './decision-types.js';
export * from './decision.js';
export * from './legacy-update.js';
export * from './authlist.js';
export * from './protocol.js';
export * from './users-diff.js';
