// What every dm_mac route shares: its route config (error bodies carry only dm_mac's keys) and its
// OpenAPI tag.
export const LEGACY_CONFIG = { legacy: true };
export const LEGACY_TAGS = ['dm_mac legacy'];
