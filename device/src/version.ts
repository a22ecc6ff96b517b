// The firmware version the unit reports in every sync and in FG_INFO().
export const FW_VERSION = '0.1.0';
