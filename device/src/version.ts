// The firmware version the unit reports in every sync and in FG_INFO(): the build stamps it
// (package version + git commit, `FG_BUILD_VERSION`, declared in device/types/espruino.d.ts);
// unbuilt sources (tests) say the package version.

export const FW_VERSION: string = typeof FG_BUILD_VERSION === 'string' ? FG_BUILD_VERSION : '0.1.0';
