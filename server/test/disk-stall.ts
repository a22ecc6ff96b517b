// Makes the state file's disk hang for real: a FIFO at `<state>.tmp` (the atomic adapter's temp
// path) that nobody reads, so the next write blocks in open() inside one libuv thread. release()
// opens the FIFO for reading without blocking, removes it and drains whatever the stuck writer
// sends, so the write fails cleanly and the saver's follow-up writes a regular file again.
import { execFileSync } from 'node:child_process';
import { constants, existsSync, openSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';

export interface DiskStall {
  fifo: string;
  /** Unblocks the stuck write; resolves with the bytes the stuck writer got through. */
  release(): Promise<number>;
}

export async function stallStateWrites(statePath: string): Promise<DiskStall> {
  const fifo = `${statePath}.tmp`;
  const end = Date.now() + 5000;
  for (;;) {
    // a write in progress owns a regular tmp file for a moment: wait for it to be renamed
    if (!existsSync(fifo)) {
      try {
        execFileSync('mkfifo', [fifo], { stdio: 'ignore' });
        break;
      } catch {
        // raced with a write creating the tmp file: try again
      }
    }
    if (Date.now() > end) throw new Error(`cannot create a FIFO at ${fifo}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  let released = false;
  return {
    fifo,
    async release(): Promise<number> {
      if (released) return 0;
      released = true;
      const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      unlinkSync(fifo);
      const sock = new Socket({ fd, readable: true, writable: false });
      let bytes = 0;
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        sock.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        sock.once('end', done);
        sock.once('close', done);
        sock.once('error', done);
        const guard = setTimeout(done, 5000);
        guard.unref();
      });
      sock.destroy();
      return bytes;
    },
  };
}
