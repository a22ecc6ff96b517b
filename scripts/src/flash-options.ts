// The flash tool's command line and the Wi-Fi secrets it reads.
import { existsSync, readFileSync } from 'node:fs';
import { serverUrl } from './admin-client.js';
import { num, parseArgs, str } from './args.js';
import { EXIT } from './exit-codes.js';

export const flashUsage = `Usage: npm run flash -- --machine <name> [--port /dev/ttyUSB0] [--baud 115200]
                         [--dry-run] [--profile esp32|host] [--unit-server-url URL]
                         [--force-loopback] [--secrets secrets.json] [--sync-timeout S]
                         [--no-sync-wait] [--server URL] [--token TOKEN]

Flashes a fobgate unit over USB (or tcp://):
  1 build     builds device/dist/firmware.js, or reuses it when up to date, and checks
              offline that the espruino CLI will store it unchanged
  2 unit      finds the port and checks that a unit answers on it
  3 register  checks <name> exists on the server and gets the new unit's key; a unit
              already registered for <name> keeps working until the new one has synced
  4 upload    uploads the firmware (saved to Storage: it runs at every boot; it does not
              fit in RAM) and the unit's config (fobgate.json) with the espruino CLI
  5 verify    waits until the unit has written everything, then compares the SHA-256
              digests it reports (FG_INFO()) with what was sent
  6 sync      waits for the unit's first sync, which retires the previous unit's key
Nothing on the server changes before step 3; when step 4 or 5 fails, the new key is withdrawn.

  --machine NAME         machine in the server's machines.json (required)
  --port PORT            serial port; found automatically when exactly one is plugged in
                         (tcp://host:port reaches a unit's console over TCP)
  --baud N               serial speed (default 115200, what ESP32 consoles use)
  --dry-run              write what the CLI would upload (config write + program) to
                         flash-<name>.upload.js and stop; no unit and no server needed
  --out FILE             where --dry-run writes (default flash-<name>.upload.js)
  --profile P            esp32 (default) or host (Espruino's Linux build, no Wi-Fi)
  --unit-server-url URL  server address as the unit will reach it over the LAN
                         (default: --server)
  --force-loopback       write a loopback/unspecified server address (127.x, localhost,
                         0.0.0.0) into an esp32 unit anyway (it can never reach it)
  --secrets FILE         Wi-Fi credentials {"wifi":{"ssid":"...","password":"..."}}
                         (default ./secrets.json; or FOBGATE_WIFI_SSID/FOBGATE_WIFI_PASSWORD).
                         Never commit this file; it is git-ignored.
  --unit-timeout S       how long the unit may take to answer in step 2 (default 30)
  --upload-timeout S     how long the upload and the unit's writing may take (default 300)
  --sync-timeout S       how long to wait for the first sync (default 120)
  --no-sync-wait         skip step 6
  --server URL           fobgate server (default $FOBGATE_SERVER or http://127.0.0.1:3000)
  --token TOKEN          admin token (default $FOBGATE_ADMIN_TOKEN, $ADMIN_TOKEN, ./data/admin-token)

Exit codes: 0 flashed and verified, 1 failed (build, upload, unit not answering,
verification mismatch, unknown machine, no first sync), 2 bad usage (also a loopback
server address for an esp32 unit), 3 server unreachable or token refused,
4 serial port problem.`;

export interface FlashOptions {
  machine: string;
  port: string | undefined;
  baud: number;
  server: string;
  token: string | undefined;
  profile: 'esp32' | 'host';
  unitServerUrl: string;
  wifi: { ssid: string; password: string } | null;
  unitTimeoutS: number;
  uploadTimeoutS: number;
  syncTimeoutS: number;
  dryRun: boolean;
  out: string | undefined;
  noSyncWait: boolean;
  forceLoopback: boolean;
}

interface Secrets {
  wifi: { ssid: string; password: string } | null;
  error: string | null;
}

export function readSecrets(path: string | undefined, env: NodeJS.ProcessEnv): Secrets {
  if (env.FOBGATE_WIFI_SSID) return { wifi: { ssid: env.FOBGATE_WIFI_SSID, password: env.FOBGATE_WIFI_PASSWORD || '' }, error: null };
  const file = path || 'secrets.json';
  if (!existsSync(file)) return { wifi: null, error: path ? `secrets file ${file} does not exist` : null };
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { wifi?: { ssid?: unknown; password?: unknown } };
    const w = j.wifi;
    if (!w || typeof w.ssid !== 'string' || !w.ssid) return { wifi: null, error: `${file}: wifi.ssid must be a non-empty string` };
    if (w.password !== undefined && typeof w.password !== 'string') return { wifi: null, error: `${file}: wifi.password must be a string` };
    return { wifi: { ssid: w.ssid, password: (w.password as string) || '' }, error: null };
  } catch (e) {
    return { wifi: null, error: `${file}: not valid JSON (${(e as Error).message.split('\n')[0]})` };
  }
}

/** The options, or the exit code and message when the command line says to stop. */
export function parseFlashOptions(argv: string[], env: NodeJS.ProcessEnv): { options: FlashOptions } | { exit: number; message: string } {
  let args;
  try {
    args = parseArgs(argv, {
      values: ['machine', 'port', 'baud', 'server', 'token', 'profile', 'unit-server-url', 'secrets', 'sync-timeout', 'unit-timeout', 'upload-timeout', 'out'],
      switches: ['dry-run', 'no-sync-wait', 'force-loopback'],
    });
  } catch (e) {
    return { exit: EXIT.USAGE, message: `flash: ${(e as Error).message}` };
  }
  if (args.flags.help) return { exit: EXIT.OK, message: flashUsage };
  const machine = str(args, 'machine');
  if (!machine || args.positionals.length) {
    return { exit: EXIT.USAGE, message: args.positionals.length ? `flash: unexpected argument "${args.positionals[0]}"` : 'flash: --machine <name> is required (see --help)' };
  }
  const profile = str(args, 'profile') || 'esp32';
  if (profile !== 'esp32' && profile !== 'host') return { exit: EXIT.USAGE, message: 'flash: --profile must be esp32 or host' };
  let numbers: { baud: number; sync: number; unit: number; upload: number };
  try {
    numbers = { baud: num(args, 'baud', 115200), sync: num(args, 'sync-timeout', 120), unit: num(args, 'unit-timeout', 30), upload: num(args, 'upload-timeout', 300) };
  } catch (e) {
    return { exit: EXIT.USAGE, message: `flash: ${(e as Error).message}` };
  }
  const secrets = readSecrets(str(args, 'secrets'), env);
  if (secrets.error) return { exit: EXIT.USAGE, message: `flash: ${secrets.error}` };
  if (profile === 'esp32' && !secrets.wifi) {
    return {
      exit: EXIT.USAGE,
      message: 'flash: the esp32 profile needs Wi-Fi credentials: create secrets.json with {"wifi":{"ssid":"...","password":"..."}} (git-ignored) or set FOBGATE_WIFI_SSID and FOBGATE_WIFI_PASSWORD',
    };
  }
  const server = serverUrl(str(args, 'server'), env);
  return {
    options: {
      machine,
      port: str(args, 'port'),
      baud: numbers.baud,
      server,
      token: str(args, 'token'),
      profile,
      unitServerUrl: str(args, 'unit-server-url') || server,
      wifi: secrets.wifi,
      unitTimeoutS: numbers.unit,
      uploadTimeoutS: numbers.upload,
      syncTimeoutS: numbers.sync,
      dryRun: args.flags['dry-run'] === true,
      out: str(args, 'out'),
      noSyncWait: args.flags['no-sync-wait'] === true,
      forceLoopback: args.flags['force-loopback'] === true,
    },
  };
}
