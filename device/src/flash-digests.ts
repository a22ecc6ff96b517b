// The verification query a technician (or `npm run flash`) types at the unit's console:
// FG_INFO() prints `FGINFO {"fw":"<sha256 of .bootcde>","cfg":"<sha256 of fobgate.json>","version":"…"}`.
import { sha256Hex } from '@fobgate/shared';
import type { RawSha256 } from '@fobgate/shared';
import type { FlashStore } from './hal.js';
import { CONFIG_FILE } from './board-config.js';
import { FW_VERSION } from './version.js';

export const PROGRAM_FILE = '.bootcde';

/** The FGINFO line for what is in flash now ('' for a file that is not there). */
export function infoLine(store: FlashStore, sha256: RawSha256): string {
  const fw = store.read(PROGRAM_FILE);
  const cfg = store.read(CONFIG_FILE);
  return 'FGINFO ' + JSON.stringify({
    fw: typeof fw === 'string' ? sha256Hex(sha256, fw) : '',
    cfg: typeof cfg === 'string' ? sha256Hex(sha256, cfg) : '',
    version: FW_VERSION,
  });
}

/** Makes FG_INFO() a global of the interpreter (the only global the firmware adds). */
export function installInfo(store: FlashStore, sha256: RawSha256, print: (line: string) => void): void {
  const g: { [k: string]: unknown } = (typeof globalThis !== 'undefined' ? globalThis : global) as unknown as { [k: string]: unknown };
  g.FG_INFO = function () {
    print(infoLine(store, sha256));
  };
}
