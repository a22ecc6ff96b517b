// `npm run flash -- --machine <name>` — for a technician with a laptop and a USB cable: builds
// (or reuses) the firmware, registers the unit with the server to get its key, assembles the
// unit's config, uploads both with the espruino CLI (program saved to Storage so it runs at every
// boot), verifies the firmware and config digests the unit reports, and waits for the unit's
// first successful sync. The key and the Wi-Fi password are never printed.
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseBoardConfig, CONFIG_FILE } from '@fobgate/device/board-config';
import { adminExitCode, AdminClient, AdminError, clientFrom, NO_TOKEN, serverUrl } from './admin-client.js';
import { num, parseArgs, str } from './args.js';
import { choosePort, runEspruino, type CliRun } from './espruino-cli.js';
import { EXIT } from './exit-codes.js';
import { ensureFirmware, FIRMWARE_PATH, REPO_ROOT } from './firmware-build.js';
import { consoleIo, type Io } from './output.js';

export const FLASH_HELP = `Usage: npm run flash -- --machine <name> [--port /dev/ttyUSB0] [--baud 115200]
                         [--dry-run] [--profile esp32|host] [--unit-server-url URL]
                         [--secrets secrets.json] [--sync-timeout S] [--no-sync-wait]
                         [--server URL] [--token TOKEN]

Flashes a fobgate unit over USB:
  1 build     builds device/dist/firmware.js, or reuses it when up to date
  2 register  checks <name> exists on the server and registers the unit (gets its key)
  3 upload    uploads the firmware (saved to Storage, runs at every boot) and the
              unit's config (fobgate.json) with the espruino CLI
  4 verify    asks the unit for its firmware and config digests and compares them
  5 sync      waits for the unit's first successful sync with the server

  --machine NAME         machine in the server's machines.json (required)
  --port PORT            serial port; found automatically when exactly one is plugged in
                         (tcp://host:port reaches a unit or stand-in over TCP)
  --baud N               serial speed (default 115200, what ESP32 consoles use)
  --dry-run              write the exact upload text to flash-<name>.upload.js and stop;
                         no unit and no server needed (the key is a placeholder)
  --out FILE             where --dry-run writes (default flash-<name>.upload.js)
  --profile P            esp32 (default) or host (Espruino's Linux build, no Wi-Fi)
  --unit-server-url URL  server address as the unit will reach it over the LAN
                         (default: --server)
  --secrets FILE         Wi-Fi credentials {"wifi":{"ssid":"...","password":"..."}}
                         (default ./secrets.json; or FOBGATE_WIFI_SSID/FOBGATE_WIFI_PASSWORD).
                         Never commit this file; it is git-ignored.
  --sync-timeout S       how long to wait for the first sync (default 120)
  --no-sync-wait         skip step 5
  --server URL           fobgate server (default $FOBGATE_SERVER or http://127.0.0.1:3000)
  --token TOKEN          admin token (default $FOBGATE_ADMIN_TOKEN, $ADMIN_TOKEN, ./data/admin-token)

Exit codes: 0 flashed and verified, 1 failed (build, upload, unit not answering,
verification mismatch, unknown machine, no first sync), 2 bad usage,
3 server unreachable or token refused, 4 serial port problem.`;

const PLACEHOLDER_KEY = '0'.repeat(64);

export function sha256Hex(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex');
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

class Progress {
  private lastPct = -1;
  constructor(private readonly io: Io, private readonly tty: boolean) {}
  step(n: number, label: string, detail = ''): void {
    this.io.out(`[${n}/5] ${label}${detail ? ': ' + detail : ''}`);
  }
  upload(pct: number): void {
    const p = Math.min(100, Math.max(0, Math.floor(pct)));
    if (p === this.lastPct) return;
    if (this.tty) {
      process.stdout.write(`\r      upload ${String(p).padStart(3)}% [${'#'.repeat(Math.floor(p / 5)).padEnd(20, '.')}]${p === 100 ? '\n' : ''}`);
    } else if (p === 100 || Math.floor(p / 25) > Math.floor(Math.max(this.lastPct, 0) / 25)) {
      this.io.out(`      upload ${p}%`);
    }
    this.lastPct = p;
  }
}

/** The unit's config as written to Storage `fobgate.json`. */
export function unitConfigText(opts: { machine: string; serverUrl: string; key: string; wifi: Secrets['wifi']; profile: string }): string {
  return JSON.stringify({
    machine: opts.machine,
    server_url: opts.serverUrl,
    key: opts.key,
    wifi: opts.wifi,
    profile: opts.profile,
  });
}

function explain(run: CliRun, io: Io): void {
  const tail = run.log.render().slice(-15);
  if (run.log.errors.length) {
    const first = run.log.errors[0];
    io.err(`error: ${first.hint}`);
    io.err(`       (line ${first.lineNumber} of the espruino CLI's output: ${first.line.trim()})`);
  }
  io.err('Last output of the espruino CLI:');
  for (const l of tail) io.err('  | ' + l);
}

function parseInfo(run: CliRun): { fw: string; cfg: string; version: string } | null {
  for (const line of run.log.render()) {
    const i = line.indexOf('FGINFO ');
    if (i < 0) continue;
    try {
      const j = JSON.parse(line.slice(i + 7).trim()) as { fw?: unknown; cfg?: unknown; version?: unknown };
      if (typeof j.fw === 'string' && typeof j.cfg === 'string') return { fw: j.fw, cfg: j.cfg, version: String(j.version ?? '') };
    } catch {
      // keep looking
    }
  }
  return null;
}

export interface FlashDeps {
  devDir?: string;
  checkAccess?: (path: string) => void;
  /** Board JSON for the CLI (built-in module list), so it never looks modules up online. */
  boardFile?: string;
}

export async function flashMain(argv: string[], io: Io = consoleIo, env: NodeJS.ProcessEnv = process.env, deps: FlashDeps = {}): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, {
      values: ['machine', 'port', 'baud', 'server', 'token', 'profile', 'unit-server-url', 'secrets', 'sync-timeout', 'out'],
      switches: ['dry-run', 'no-sync-wait'],
    });
  } catch (e) {
    io.err(`flash: ${(e as Error).message}`);
    return EXIT.USAGE;
  }
  if (args.flags.help) {
    io.out(FLASH_HELP);
    return EXIT.OK;
  }
  const machine = str(args, 'machine');
  if (!machine || args.positionals.length) {
    io.err(args.positionals.length ? `flash: unexpected argument "${args.positionals[0]}"` : 'flash: --machine <name> is required (see --help)');
    return EXIT.USAGE;
  }
  const profile = str(args, 'profile') || 'esp32';
  if (profile !== 'esp32' && profile !== 'host') {
    io.err('flash: --profile must be esp32 or host');
    return EXIT.USAGE;
  }
  let baud: number;
  let syncTimeout: number;
  try {
    baud = num(args, 'baud', 115200);
    syncTimeout = num(args, 'sync-timeout', 120);
  } catch (e) {
    io.err(`flash: ${(e as Error).message}`);
    return EXIT.USAGE;
  }
  const dryRun = args.flags['dry-run'] === true;
  const server = serverUrl(str(args, 'server'), env);
  const unitServerUrl = str(args, 'unit-server-url') || server;
  const secrets = readSecrets(str(args, 'secrets'), env);
  if (secrets.error) {
    io.err(`flash: ${secrets.error}`);
    return EXIT.USAGE;
  }
  if (profile === 'esp32' && !secrets.wifi) {
    io.err('flash: the esp32 profile needs Wi-Fi credentials: create secrets.json with {"wifi":{"ssid":"...","password":"..."}} (git-ignored) or set FOBGATE_WIFI_SSID and FOBGATE_WIFI_PASSWORD');
    return EXIT.USAGE;
  }
  const progress = new Progress(io, !!process.stdout.isTTY && io === consoleIo);
  const boardFile = deps.boardFile || join(REPO_ROOT, 'device', 'board', `${profile === 'host' ? 'host' : 'esp32'}.json`);

  // 1. build
  progress.step(1, 'build');
  const built = ensureFirmware();
  if (built.error) {
    io.err('flash: the firmware build failed:\n' + built.error);
    return EXIT.FAILED;
  }
  const firmware = readFileSync(FIRMWARE_PATH, 'latin1');
  io.out(`      ${built.rebuilt ? 'built' : 'up to date'}: device/dist/firmware.js, ${firmware.length} bytes`);

  // 2. register
  let key = PLACEHOLDER_KEY;
  let client: AdminClient | null = null;
  if (dryRun) {
    progress.step(2, 'register', 'skipped (dry run: placeholder key)');
  } else {
    client = clientFrom(server, str(args, 'token'), env);
    if (!client) {
      io.err(`flash: ${NO_TOKEN}`);
      return EXIT.USAGE;
    }
    try {
      const fleet = await client.fleet();
      if (!fleet.machines.some((m) => m.name === machine)) {
        io.err(`flash: unknown machine "${machine}" on ${server}. Known machines: ${fleet.machines.map((m) => m.name).join(', ') || '(none)'}`);
        return EXIT.FAILED;
      }
      key = (await client.registerUnit(machine)).key;
      progress.step(2, 'register', `unit registered for "${machine}", key issued (not shown)`);
    } catch (e) {
      if (e instanceof AdminError) {
        io.err(`flash: ${e.message}`);
        return adminExitCode(e);
      }
      throw e;
    }
  }
  const configText = unitConfigText({ machine, serverUrl: unitServerUrl, key, wifi: secrets.wifi, profile });
  const checked = parseBoardConfig(JSON.parse(configText));
  if (!checked.ok) {
    io.err(`flash: the unit config would be rejected by the firmware: ${checked.error}`);
    return EXIT.USAGE;
  }

  const work = mkdtempSync(join(tmpdir(), 'fobgate-flash-'));
  try {
    const cfgPath = join(work, CONFIG_FILE);
    writeFileSync(cfgPath, configText, { mode: 0o600 });
    chmodSync(cfgPath, 0o600);
    const common = ['--board', boardFile, '--config', 'SAVE_ON_SEND=1', '--storage', `${CONFIG_FILE}:${cfgPath}`];

    if (dryRun) {
      const out = resolve(str(args, 'out') || `flash-${machine}.upload.js`);
      const run = await runEspruino({ args: ['-n'].concat(common, ['-o', out, FIRMWARE_PATH]), timeoutMs: 60_000 });
      if (run.code !== 0 || !existsSync(out)) {
        explain(run, io);
        return EXIT.FAILED;
      }
      chmodSync(out, 0o600);
      progress.step(3, 'upload', `dry run: upload text written to ${out} (contains Wi-Fi credentials: keep it private)`);
      return EXIT.OK;
    }

    // 3. upload
    const chosen = choosePort(str(args, 'port'), deps.devDir, deps.checkAccess);
    if (!('port' in chosen)) {
      io.err(`flash: ${chosen.message}`);
      return EXIT.PORT;
    }
    const port = chosen.port;
    // A unit may sync as soon as the program loads, before verification ends: count from here.
    const uploadStart = Date.now();
    progress.step(3, 'upload', `${port} at ${baud} baud`);
    // The CLI writes the program in ~1 KB Storage chunks and the unit answers each with a prompt.
    const expectedPrompts = Math.ceil(JSON.stringify(firmware).length / 1024) + Math.ceil(configText.length / 1024) + 3;
    let prompts = 0;
    progress.upload(0);
    // Over serial the CLI pauses after each Storage chunk so the unit's UART cannot overflow;
    // a TCP connection (a networked unit or the test stand-in) is flow-controlled already.
    const pacing = port.startsWith('tcp://') ? ['--config', 'STORAGE_UPLOAD_METHOD=1'] : [];
    const upload = await runEspruino({
      args: ['-p', port, '-b', String(baud)].concat(pacing, common, [FIRMWARE_PATH]),
      onLine: (line) => {
        if (/^--\]\s*>/.test(line)) progress.upload((100 * ++prompts) / expectedPrompts);
      },
      timeoutMs: 180_000,
    });
    const fatal = upload.log.errors.find((e) => e.code !== 'MODULE_MISSING');
    if (upload.code !== 0 || fatal || !upload.log.render().some((l) => l.includes('Upload Complete'))) {
      io.err('flash: the upload failed');
      explain(upload, io);
      if (upload.log.errors.some((e) => e.code === 'PORT_PERMISSION')) {
        io.err(`On Linux: sudo usermod -aG dialout $USER, then log out and in again`);
        return EXIT.PORT;
      }
      return EXIT.FAILED;
    }
    progress.upload(100);

    // 4. verify
    progress.step(4, 'verify');
    const query = await runEspruino({ args: ['-p', port, '-b', String(baud), '--board', boardFile, '-e', 'FG_INFO()'], timeoutMs: 60_000 });
    const info = parseInfo(query);
    if (!info) {
      io.err('flash: the unit did not answer the verification query (FG_INFO()): is the firmware running? Press the unit\'s reset button and run the flash again.');
      explain(query, io);
      return EXIT.FAILED;
    }
    const wantFw = sha256Hex(firmware);
    const wantCfg = sha256Hex(configText);
    const problems: string[] = [];
    if (info.fw !== wantFw) problems.push(`firmware digest ${info.fw.slice(0, 16)}… differs from the uploaded ${wantFw.slice(0, 16)}…`);
    if (info.cfg !== wantCfg) problems.push(`config digest ${info.cfg.slice(0, 16)}… differs from the uploaded ${wantCfg.slice(0, 16)}…`);
    if (problems.length) {
      io.err('flash: verification failed: ' + problems.join('; ') + '. The upload was corrupted: check the cable and flash again.');
      return EXIT.FAILED;
    }
    io.out(`      firmware ${info.version || ''} and config verified (sha256 ${wantFw.slice(0, 12)}…, ${wantCfg.slice(0, 12)}…)`.replace('  ', ' '));

    // 5. first sync
    if (args.flags['no-sync-wait'] || !client) {
      progress.step(5, 'sync', 'not waited for (--no-sync-wait)');
      return EXIT.OK;
    }
    progress.step(5, 'sync', `waiting up to ${syncTimeout} s for the unit's first sync`);
    const since = Date.now();
    const deadline = since + syncTimeout * 1000;
    for (;;) {
      try {
        const fleet = await client.fleet();
        const row = fleet.machines.find((m) => m.name === machine);
        if (row && row.kind === 'fobgate' && row.last_checkin !== null && row.last_checkin >= uploadStart) {
          io.out(`      first sync ${((row.last_checkin - uploadStart) / 1000).toFixed(1)} s after the upload started; the unit holds list v${row.list_version_held ?? '-'} (latest v${fleet.list_version_latest})`);
          io.out(`Unit for "${machine}" flashed, verified and online.`);
          return EXIT.OK;
        }
      } catch (e) {
        if (!(e instanceof AdminError)) throw e;
      }
      if (Date.now() >= deadline) {
        io.err(
          `flash: the unit was flashed and verified but has not synced with ${unitServerUrl} within ${syncTimeout} s. Check its LCD, the Wi-Fi credentials in secrets.json, and that the unit can reach that address (not 127.0.0.1).`,
        );
        return EXIT.FAILED;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  flashMain(process.argv.slice(2)).then((code) => process.exit(code));
}
