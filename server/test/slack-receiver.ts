// A real local HTTP server standing in for Slack's incoming webhooks in tests: records every
// POST (path and JSON text) and answers as the test scripts it (status, delay, or never).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedMessage {
  path: string;
  text: string;
  at: number;
}

/**
 * What to do with the n-th request (0-based): a status (with headers) after an optional delay,
 * 'hold' (answered 200 when release() is called), or 'hang' (never answered).
 */
export type Behaviour = (n: number, path: string) => { status: number; delayMs?: number; headers?: Record<string, string> } | 'hang' | 'hold';

export interface SlackReceiver {
  url(path: string): string;
  /** Messages answered 2xx. */
  messages: ReceivedMessage[];
  /** Every request that arrived, whatever the answer. */
  requests: number;
  behave(fn: Behaviour): void;
  /** Requests held so far and not yet released. */
  held(): number;
  /** Answers every held request 200. */
  release(): void;
  /** Resolves when `n` messages were accepted (rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  let behaviour: Behaviour = () => ({ status: 200 });
  const timers = new Set<NodeJS.Timeout>();
  let holding: Array<() => void> = [];
  const receiver: SlackReceiver = {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    messages: [],
    requests: 0,
    behave(fn) {
      behaviour = fn;
    },
    held: () => holding.length,
    release() {
      const h = holding;
      holding = [];
      for (const answer of h) answer();
    },
    async waitFor(n, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      while (receiver.messages.length < n) {
        if (Date.now() > end) throw new Error(`slack receiver: expected ${n} messages, got ${receiver.messages.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = receiver.requests++;
      const path = req.url || '/';
      const got = behaviour(n, path);
      if (got === 'hang') return;
      const plan = got === 'hold' ? { status: 200, delayMs: 0, headers: {} } : got;
      const answer = () => {
        if (plan.status >= 200 && plan.status < 300) {
          let text: string;
          try {
            text = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown }).text);
          } catch {
            text = '<unparsable>';
          }
          receiver.messages.push({ path, text, at: Date.now() });
        }
        res.writeHead(plan.status, { 'content-type': 'text/plain', ...(plan.headers ?? {}) });
        res.end(plan.status < 300 ? 'ok' : 'nope');
      };
      if (got === 'hold') holding.push(answer);
      else if (plan.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          answer();
        }, plan.delayMs);
        timers.add(t);
      } else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return receiver;
}
