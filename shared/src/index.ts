// @fobgate/shared for Node (server, scripts, tests): the chip core plus what only runs in Node
// (config-file validation, dm_mac's update rules, the members diff).
export * from './chip.js';
export * from './config.js';
export * from './sync-schema.js';
export * from './legacy-update.js';
export * from './users-diff.js';
