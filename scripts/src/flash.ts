// `npm run flash -- --machine <name>`: for a technician with a laptop and a USB cable (or a unit
// on tcp://). Six steps, each checked before the next touches anything:
//   1 build     the firmware (or reuse an up-to-date build), and let the espruino CLI render it
//               offline to prove it will store exactly that program (digests can match)
//   2 unit      the port exists and is usable, and a unit answers on it
//   3 register  the machine exists; the server issues the new unit's key as *pending*: refused
//               until step 5 confirms the upload; the unit already on that machine keeps working
//               until the new one has synced
//   4 upload    program to Storage `.bootcde` (it runs at every boot), config to `fobgate.json`
//   5 verify    wait until the unit has written everything, then compare the SHA-256 digests it
//               reports (FG_INFO()) with the bytes sent; a match lets the server accept the new
//               key, a failure withdraws it
//   6 sync      wait for the new unit's first signed sync, which retires the old unit's key
// The key and the Wi-Fi password are never printed. See docs/flashing.md.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, type NetworkInterfaceInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UnitRegistration } from '@fobgate/shared';
import { parseBoardConfig, parseServerUrl, CONFIG_FILE } from '@fobgate/device/board-config';
import { ensureFirmware, FIRMWARE_PATH, FirmwareBuildError } from '@fobgate/device/ensure-firmware';
import { adminExitCode, AdminClient, AdminError, clientFrom, NO_TOKEN } from './admin-client.js';
import type { BoundedLog } from './bounded-log.js';
import { renderProgram, sha256Of, writeCliBoard } from './cli-program.js';
import { choosePort, isTcpPort, runEspruino, uploadArgs } from './espruino-cli.js';
import { EXIT } from './exit-codes.js';
import { flashUsage, parseFlashOptions, readSecrets, type FlashOptions } from './flash-options.js';
import { consoleIo, type Io } from './output.js';
import { lanAddresses, loopbackAdvice, unreachableFromLan } from './unit-server-address.js';
import { queryInfo, UnitConsole, untilUnitAnswers } from './unit-console.js';

export { readSecrets };
export const FLASH_HELP = flashUsage;

const PLACEHOLDER_KEY = '0'.repeat(64);
const STEPS = 6;

export interface FlashDeps {
  devDir?: string;
  checkAccess?: (path: string) => void;
  /** This machine's network interfaces (tests give a laptop's). */
  interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Every line the espruino CLI prints, as it arrives (tests). */
  onCliLine?: (line: string) => void;
  /** Runs after the upload, before verification (tests: tamper with the unit's flash). */
  beforeVerify?: () => Promise<void>;
}

/** The unit's config as written to Storage `fobgate.json`. */
export function unitConfigText(opts: { machine: string; serverUrl: string; key: string; wifi: { ssid: string; password: string } | null; profile: string }): string {
  return JSON.stringify({ machine: opts.machine, server_url: opts.serverUrl, key: opts.key, wifi: opts.wifi, profile: opts.profile });
}

class Progress {
  constructor(private readonly io: Io) {}
  step(n: number, label: string, detail = ''): void {
    this.io.out(`[${n}/${STEPS}] ${label}${detail ? ': ' + detail : ''}`);
  }
  note(text: string): void {
    this.io.out('      ' + text);
  }
}

/** The first matched error of a CLI log and its last lines. */
function explain(log: BoundedLog, io: Io): void {
  if (log.errors.length) {
    const first = log.errors[0];
    io.err(`error: ${first.hint}`);
    io.err(`       (line ${first.lineNumber} of the espruino CLI's output: ${first.line.trim()})`);
  }
  io.err('Last output of the espruino CLI:');
  for (const l of log.render().slice(-15)) io.err('  | ' + l);
}

function portExit(log: BoundedLog): number {
  return log.errors.some((e) => e.code === 'PORT_PERMISSION' || e.code === 'PORT_NOT_LISTED' || e.code === 'PORT_OPEN_FAILED') ? EXIT.PORT : EXIT.FAILED;
}

export async function flashMain(argv: string[], io: Io = consoleIo, env: NodeJS.ProcessEnv = process.env, deps: FlashDeps = {}): Promise<number> {
  const parsed = parseFlashOptions(argv, env);
  if ('exit' in parsed) {
    if (parsed.message) (parsed.exit === EXIT.OK ? io.out : io.err)(parsed.message);
    return parsed.exit;
  }
  const o = parsed.options;
  const addr = parseServerUrl(o.unitServerUrl);
  if (!addr) {
    io.err(`flash: the unit's server address ${o.unitServerUrl} is not http://host[:port][/path] (set it with --unit-server-url)`);
    return EXIT.USAGE;
  }
  if (o.profile === 'esp32' && unreachableFromLan(addr.host) && !o.forceLoopback) {
    io.err('flash: ' + loopbackAdvice(o.unitServerUrl, addr.host, addr.port, addr.base, lanAddresses(deps.interfaces)));
    return EXIT.USAGE;
  }
  const progress = new Progress(io);
  progress.step(1, 'build');
  try {
    const built = ensureFirmware();
    progress.note(`${built.rebuilt ? 'built' : 'up to date'}: device/dist/firmware.js, ${readFileSync(FIRMWARE_PATH).length} bytes`);
  } catch (e) {
    if (!(e instanceof FirmwareBuildError)) throw e;
    io.err('flash: ' + e.message);
    return EXIT.FAILED;
  }
  const work = mkdtempSync(join(tmpdir(), 'fobgate-flash-'));
  try {
    return await flashIn(work, o, io, env, deps, progress);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function flashIn(work: string, o: FlashOptions, io: Io, env: NodeJS.ProcessEnv, deps: FlashDeps, progress: Progress): Promise<number> {
  const board = writeCliBoard(o.profile, work);
  const rendered = await renderProgram(board, FIRMWARE_PATH, work);
  if (!rendered.ok) {
    io.err('flash: ' + rendered.problem);
    if (rendered.run) explain(rendered.run.log, io);
    return EXIT.FAILED;
  }
  progress.note('the espruino CLI will store it unchanged (checked offline)');
  const configFor = (key: string) => Buffer.from(unitConfigText({ machine: o.machine, serverUrl: o.unitServerUrl, key, wifi: o.wifi, profile: o.profile }), 'utf8');
  const checked = parseBoardConfig(JSON.parse(configFor(PLACEHOLDER_KEY).toString('utf8')));
  if (!checked.ok) {
    io.err(`flash: the unit config would be rejected by the firmware: ${checked.error}`);
    return EXIT.USAGE;
  }
  if (o.dryRun) return dryRun(work, board, configFor(PLACEHOLDER_KEY), o, io, progress);
  const client = clientFrom(o.server, o.token, env);
  if (!client) {
    io.err(`flash: ${NO_TOKEN}`);
    return EXIT.USAGE;
  }

  // 2. the port and the unit, before the server is touched
  const chosen = choosePort(o.port, deps.devDir, deps.checkAccess);
  if (!('port' in chosen)) {
    io.err(`flash: ${chosen.message}`);
    return EXIT.PORT;
  }
  const port = chosen.port;
  progress.step(2, 'unit', `${port}${isTcpPort(port) ? '' : ` at ${o.baud} baud`}`);
  const con = new UnitConsole(port, o.baud, board);
  const waited = await untilUnitAnswers(con, o.unitTimeoutS * 1000);
  await con.close();
  if (waited === null) {
    io.err(`flash: the unit did not answer on ${port} within ${o.unitTimeoutS} s. Check the USB cable (a data cable, not charge-only), press the unit's EN/reset button, keep --baud 115200 for an ESP32. Nothing was changed on the server.`);
    explain(con.log, io);
    return portExit(con.log);
  }
  progress.note(`a unit answers (${(waited / 1000).toFixed(1)} s)`);

  // 3. register: the new key is pending; the machine's unit keeps working until this one syncs
  let reg: UnitRegistration;
  try {
    reg = await register(client, o.machine, o.server, io, progress);
  } catch (e) {
    if (!(e instanceof AdminError)) throw e;
    io.err(`flash: ${e.message}`);
    return adminExitCode(e);
  }
  const failed = async (code: number): Promise<number> => {
    await withdraw(client, o.machine, reg, io);
    return code;
  };

  // 4. upload
  const configBytes = configFor(reg.key);
  const uploaded = await upload(work, port, board, configBytes, o, io, deps, progress);
  if (uploaded !== EXIT.OK) return failed(uploaded);

  // 5. verify; only then may the new key take over
  if (deps.beforeVerify) await deps.beforeVerify();
  const verified = await verify(port, board, o, configBytes, io, progress);
  if (verified !== EXIT.OK) return failed(verified);
  try {
    await client.verifyPendingUnit(o.machine);
  } catch (e) {
    if (!(e instanceof AdminError)) throw e;
    io.err(`flash: the unit is flashed and verified, but the server did not take the confirmation (${e.message}). Flash again.`);
    return adminExitCode(e);
  }

  // 6. the new unit's first signed sync
  if (o.noSyncWait) {
    progress.step(6, 'sync', 'not waited for (--no-sync-wait)');
    progress.note(reg.replaces ? `the server accepts the previous unit for "${o.machine}" until this one syncs` : 'the unit is registered at its first sync');
    return EXIT.OK;
  }
  return waitForFirstSync(client, o, reg, io, progress);
}

async function dryRun(work: string, board: string, configBytes: Buffer, o: FlashOptions, io: Io, progress: Progress): Promise<number> {
  const cfgPath = join(work, CONFIG_FILE);
  writeFileSync(cfgPath, configBytes, { mode: 0o600 });
  const out = resolve(o.out || `flash-${o.machine}.upload.js`);
  const run = await runEspruino({ args: ['-n', '--board', board, '--config', 'SAVE_ON_SEND=1', '--storage', `${CONFIG_FILE}:${cfgPath}`, '-o', out, FIRMWARE_PATH], timeoutMs: 60_000 });
  if (run.code !== 0 || !existsSync(out)) {
    explain(run.log, io);
    return EXIT.FAILED;
  }
  chmodSync(out, 0o600);
  progress.step(2, 'dry run', `the config's Storage write and the program written to ${out} (no unit, no server; placeholder key; contains the Wi-Fi credentials: keep it private)`);
  return EXIT.OK;
}

async function register(client: AdminClient, machine: string, server: string, io: Io, progress: Progress): Promise<UnitRegistration> {
  const fleet = await client.fleet();
  if (!fleet.machines.some((m) => m.name === machine)) {
    throw new AdminError('NOT_FOUND', `unknown machine "${machine}" on ${server}. Known machines: ${fleet.machines.map((m) => m.name).join(', ') || '(none)'}`);
  }
  const keys = await client.unitKeys(machine);
  const reg = await client.registerUnit(machine, true);
  if (keys.unit) {
    progress.step(3, 'register', `replacing the unit registered for ${machine} (unit ${keys.unit.unit_id})`);
    progress.note(`that unit keeps working until this one (unit ${reg.unit_id}) has synced; its key is retired then`);
  } else {
    progress.step(3, 'register', `unit ${reg.unit_id} for "${machine}", key issued (not shown); registered at its first sync`);
  }
  return reg;
}

/** After a failed flash: the pending key goes, the machine's working unit is left alone. */
async function withdraw(client: AdminClient, machine: string, reg: UnitRegistration, io: Io): Promise<void> {
  try {
    await client.cancelPendingUnit(machine);
    io.err(`       The new key was withdrawn${reg.replaces ? `; the unit registered for ${machine} keeps working` : ''}.`);
  } catch (e) {
    if (!(e instanceof AdminError)) throw e;
    io.err(`       Could not withdraw the new key (${e.message})${reg.replaces ? `; the unit registered for ${machine} keeps working until a unit syncs with the new key` : ''}.`);
  }
}

async function upload(work: string, port: string, board: string, configBytes: Buffer, o: FlashOptions, io: Io, deps: FlashDeps, progress: Progress): Promise<number> {
  const cfgPath = join(work, CONFIG_FILE);
  writeFileSync(cfgPath, configBytes, { mode: 0o600 });
  chmodSync(cfgPath, 0o600);
  progress.step(4, 'upload', `${readFileSync(FIRMWARE_PATH).length} + ${configBytes.length} bytes to Storage (.bootcde, ${CONFIG_FILE})`);
  const started = Date.now();
  const run = await runEspruino({
    args: uploadArgs({ port, baud: o.baud, boardFile: board, storage: [{ name: CONFIG_FILE, path: cfgPath }], program: FIRMWARE_PATH }),
    onLine: deps.onCliLine,
    timeoutMs: o.uploadTimeoutS * 1000,
  });
  const fatal = run.log.errors.find((e) => e.code !== 'MODULE_MISSING');
  if (run.code !== 0 || fatal || !run.log.render().some((l) => l.includes('Upload Complete'))) {
    io.err('flash: the upload failed');
    explain(run.log, io);
    if (run.log.errors.some((e) => e.code === 'PORT_PERMISSION')) io.err('On Linux: sudo usermod -aG dialout $USER, then log out and in again');
    return portExit(run.log);
  }
  progress.note(`sent in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return EXIT.OK;
}

async function verify(port: string, board: string, o: FlashOptions, configBytes: Buffer, io: Io, progress: Progress): Promise<number> {
  progress.step(5, 'verify', 'waiting for the unit to finish writing the upload');
  const con = new UnitConsole(port, o.baud, board);
  try {
    const took = await untilUnitAnswers(con, o.uploadTimeoutS * 1000, 2000, (ms) => {
      if (ms % 10_000 < 2000) progress.note(`still writing (${Math.round(ms / 1000)} s)`);
    });
    if (took === null) {
      io.err(`flash: the unit did not finish taking the upload within ${o.uploadTimeoutS} s (no answer on its console). Press its reset button and flash again; --upload-timeout gives a slow unit longer.`);
      explain(con.log, io);
      return EXIT.FAILED;
    }
    progress.note(`the unit had taken everything ${(took / 1000).toFixed(1)} s after the CLI finished`);
    const info = await queryInfo(con, 60_000);
    if ('problem' in info) {
      io.err(`flash: the unit did not answer the verification query: ${info.problem}. Press the unit's reset button and flash again.`);
      explain(con.log, io);
      return EXIT.FAILED;
    }
    const wantFw = sha256Of(readFileSync(FIRMWARE_PATH));
    const wantCfg = sha256Of(configBytes);
    const problems: string[] = [];
    if (info.fw !== wantFw) problems.push(`firmware digest ${info.fw.slice(0, 16) || '(none)'}… differs from the uploaded ${wantFw.slice(0, 16)}…`);
    if (info.cfg !== wantCfg) problems.push(`config digest ${info.cfg.slice(0, 16) || '(none)'}… differs from the uploaded ${wantCfg.slice(0, 16)}…`);
    if (problems.length) {
      io.err('flash: verification failed: ' + problems.join('; ') + '. The upload was corrupted: check the cable and flash again.');
      return EXIT.FAILED;
    }
    progress.note(`firmware ${info.version} and config verified (sha256 ${wantFw.slice(0, 12)}…, ${wantCfg.slice(0, 12)}…)`);
    return EXIT.OK;
  } finally {
    await con.close();
  }
}

async function waitForFirstSync(client: AdminClient, o: FlashOptions, reg: UnitRegistration, io: Io, progress: Progress): Promise<number> {
  progress.step(6, 'sync', `waiting up to ${o.syncTimeoutS} s for the unit's first sync`);
  const since = Date.now();
  const deadline = since + o.syncTimeoutS * 1000;
  for (;;) {
    try {
      const keys = await client.unitKeys(o.machine);
      if (keys.unit && keys.unit.unit_id === reg.unit_id) {
        const fleet = await client.fleet();
        const row = fleet.machines.find((m) => m.name === o.machine);
        const held = row && row.list_version_held ? `holds list v${row.list_version_held}` : 'is fetching its authorization list';
        progress.note(`first sync ${((Date.now() - since) / 1000).toFixed(1)} s after verification; the unit ${held} (latest v${fleet.list_version_latest})`);
        if (reg.replaces) progress.note(`the previous unit's key (unit ${reg.replaces}) is retired`);
        io.out(`Unit for "${o.machine}" flashed, verified and online.`);
        return EXIT.OK;
      }
      if (!keys.pending || keys.pending.unit_id !== reg.unit_id) {
        io.err(`flash: the key issued for this unit is no longer pending on the server (another registration for "${o.machine}" replaced it). Flash again.`);
        return EXIT.FAILED;
      }
    } catch (e) {
      if (!(e instanceof AdminError)) throw e;
    }
    if (Date.now() >= deadline) {
      io.err(
        `flash: the unit was flashed and verified but has not synced with ${o.unitServerUrl} within ${o.syncTimeoutS} s. Check its LCD, the Wi-Fi credentials in secrets.json, and that the unit can reach that address over the LAN.` +
          (reg.replaces ? ` Until it syncs, the server keeps accepting the previous unit for "${o.machine}".` : ''),
      );
      return EXIT.FAILED;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  flashMain(process.argv.slice(2)).then((code) => process.exit(code));
}
