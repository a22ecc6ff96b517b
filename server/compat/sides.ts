// The two servers under comparison, each run as its own process on 127.0.0.1 over its own temp
// folder (users.json, machines.json, state), each with its own local Slack receiver:
// - dm_mac: `python3 dm_mac_launcher.py` over a dm_mac checkout (its src/ on PYTHONPATH);
// - fobgate: `node --import tsx server/src/server.ts`, as `npm start` runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type SideName = 'dm_mac' | 'fobgate';
export type Channel = 'control' | 'oops';

export interface SlackPost {
  channel: Channel;
  text: string;
  /** Order in which the server made the call (dm_mac numbers its calls; fobgate posts one at a time). */
  seq: number;
}

export interface Answer {
  status: number;
  contentType: string;
  headers: Record<string, string>;
  text: string;
}

export interface SideOptions {
  users: string;
  machines: string;
  usersMtimeS: number;
  dmMacDir: string;
  python: string;
  adminToken: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A local stand-in for Slack: records every message posted to it. */
class SlackReceiver {
  posts: SlackPost[] = [];
  lastAt = 0;
  private arrivals = 0;
  private server: Server;
  port = 0;

  constructor(private readonly side: SideName) {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.record(req.url ?? '/', Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  private record(path: string, body: string): void {
    let doc: { text?: unknown; channel?: unknown; seq?: unknown } = {};
    try {
      doc = JSON.parse(body) as typeof doc;
    } catch {
      // the real slack_sdk may post a form
      const form = new URLSearchParams(body);
      doc = { text: form.get('text') ?? '', channel: form.get('channel') ?? '' };
    }
    const arrival = ++this.arrivals;
    let channel: Channel;
    if (this.side === 'dm_mac') channel = doc.channel === 'COOPS' ? 'oops' : 'control';
    else channel = path.startsWith('/oops') ? 'oops' : 'control';
    const seq = typeof doc.seq === 'number' ? doc.seq : arrival;
    this.posts.push({ channel, text: String(doc.text ?? ''), seq });
    this.lastAt = Date.now();
  }

  /** Messages since `from` (an index into posts), in the order the server made them. */
  since(from: number): SlackPost[] {
    return this.posts.slice(from).sort((a, b) => a.seq - b.seq);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export class Side {
  readonly dir: string;
  readonly stateDir: string;
  readonly usersPath: string;
  readonly machinesPath: string;
  readonly slack: SlackReceiver;
  port = 0;
  private child: ChildProcess | null = null;
  private log = '';
  private stallHolders: ChildProcess[] = [];
  private stallFifo: string | null = null;

  constructor(
    readonly name: SideName,
    private readonly opts: SideOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `fobgate-compat-${name}-`));
    this.stateDir = join(this.dir, 'state');
    mkdirSync(this.stateDir);
    this.usersPath = join(this.dir, 'users.json');
    this.machinesPath = join(this.dir, 'machines.json');
    writeFileSync(this.machinesPath, opts.machines);
    this.writeUsers(opts.users, opts.usersMtimeS);
    this.slack = new SlackReceiver(name);
  }

  writeUsers(text: string, mtimeS: number): void {
    writeFileSync(this.usersPath, text);
    utimesSync(this.usersPath, mtimeS, mtimeS);
  }

  writeMachines(text: string): void {
    writeFileSync(this.machinesPath, text);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.slack.port) await this.slack.start();
    this.port = await freePort();
    const common = {
      ...process.env,
      USERS_CONFIG: this.usersPath,
      MACHINES_CONFIG: this.machinesPath,
      MACHINE_STATE_DIR: this.stateDir,
    };
    if (this.name === 'dm_mac') {
      this.child = spawn(this.opts.python, [join(here, 'dm_mac_launcher.py')], {
        cwd: this.dir,
        env: {
          ...common,
          PYTHONPATH: join(this.opts.dmMacDir, 'src'),
          DM_MAC_PORT: String(this.port),
          DM_MAC_SLACK_RECEIVER: this.slack.url('/api/chat.postMessage'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } else {
      this.child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'server', 'src', 'server.ts')], {
        cwd: repoRoot,
        env: {
          ...common,
          HOST: '127.0.0.1',
          PORT: String(this.port),
          FOBGATE_DATA_DIR: this.dir,
          ADMIN_TOKEN: this.opts.adminToken,
          SLACK_CONTROL_WEBHOOK_URL: this.slack.url('/control'),
          SLACK_OOPS_WEBHOOK_URL: this.slack.url('/oops'),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    }
    const child = this.child;
    child.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    const end = Date.now() + 30000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited at start:\n${this.log}`);
      try {
        const r = await fetch(`${this.baseUrl}/api/`);
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > end) throw new Error(`${this.name} did not start within 30 s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stopServer(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stopServer();
    await this.start();
  }

  async send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<Answer> {
    // dm_mac stops answering altogether while a save is stuck (see the save-timeouts case)
    const r = await fetch(this.baseUrl + path, { method, body, headers, redirect: 'manual', signal: AbortSignal.timeout(20000) });
    const text = await r.text();
    const h: Record<string, string> = {};
    r.headers.forEach((v, k) => (h[k] = v));
    return { status: r.status, contentType: (r.headers.get('content-type') ?? '').split(';')[0].trim(), headers: h, text };
  }

  /**
   * Makes the next state write of these machines hang (a stuck disk), as each server stores
   * state: dm_mac waits for its per-machine file lock (held here by `flock`), fobgate opens its
   * `state.json.tmp` (a FIFO here, which blocks until read).
   */
  async stall(machines: string[]): Promise<void> {
    if (this.name === 'dm_mac') {
      for (const m of machines) {
        const lock = join(this.stateDir, `${m}-state.pickle.lock`);
        const holder = spawn('flock', ['-o', lock, '-c', 'echo held; exec sleep 600'], { stdio: ['ignore', 'pipe', 'ignore'] });
        await new Promise<void>((resolve, reject) => {
          holder.stdout!.once('data', () => resolve());
          holder.once('exit', () => reject(new Error(`flock ${lock} failed`)));
        });
        this.stallHolders.push(holder);
      }
    } else if (!this.stallFifo) {
      const fifo = join(this.stateDir, 'state.json.tmp');
      await new Promise<void>((resolve, reject) => {
        const p = spawn('mkfifo', [fifo]);
        p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mkfifo ${fifo} failed`))));
      });
      this.stallFifo = fifo;
    }
  }

  /** Ends the stall: the hung write goes on (and the next ones work). */
  async unstall(): Promise<void> {
    for (const h of this.stallHolders) {
      const exited = new Promise<void>((r) => h.once('exit', () => r()));
      h.kill('SIGKILL');
      await exited;
    }
    this.stallHolders = [];
    if (this.stallFifo) {
      const fifo = this.stallFifo;
      this.stallFifo = null;
      if (existsSync(fifo)) {
        // open a reader so the hung writer gets through, drain what it writes, then remove the FIFO
        const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
        const buf = Buffer.alloc(65536);
        const end = Date.now() + 1000;
        while (Date.now() < end) {
          try {
            if (readSync(fd, buf, 0, buf.length, null) === 0) await new Promise((r) => setTimeout(r, 20));
          } catch {
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        closeSync(fd);
        try {
          unlinkSync(fifo);
        } catch {
          // the writer's clean-up removed it already
        }
      }
    }
  }

  output(): string {
    return this.log;
  }

  async close(keep: boolean): Promise<void> {
    await this.unstall();
    await this.stopServer();
    await this.slack.close();
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
