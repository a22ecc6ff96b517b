// The firmware's entry (what the build bundles): builds the Espruino platform, installs FG_INFO()
// and starts the unit from the board config in Storage. Runs by itself when loaded.
import { espruinoPlatform } from './hal-espruino.js';
import { installInfo } from './flash-digests.js';
import { startFirmware } from './firmware.js';

const platform = espruinoPlatform();
installInfo(platform.hal.store, platform.sha256, platform.log);
startFirmware(platform);
