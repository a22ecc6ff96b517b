// Slack's request signing, checked on every slash command and interactivity request: the
// `X-Slack-Signature` header is `v0=` + hex HMAC-SHA256 with the app's signing secret over
// `v0:<X-Slack-Request-Timestamp>:<raw body>`. A timestamp more than 5 minutes from now is
// refused (a captured request cannot be replayed later), and so is a second request with a
// signature already seen within that window. The signatures seen live in memory only; a request
// stamped before this verifier was made (the server started) is refused too, so a request
// captured before a restart cannot be replayed after it. The comparison is constant-time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SlackRefusal = 'missing_headers' | 'bad_timestamp' | 'stale' | 'bad_signature' | 'replayed';

export interface SlackVerifyResult {
  ok: boolean;
  refusal?: SlackRefusal;
  message?: string;
}

/** The signature Slack sends for `body` at `timestamp` (seconds). */
export function slackSignature(secret: string, timestamp: string, body: Buffer | string): string {
  const h = createHmac('sha256', secret);
  h.update(`v0:${timestamp}:`);
  h.update(body);
  return 'v0=' + h.digest('hex');
}

export class SlackVerifier {
  private readonly seen = new Map<string, number>();
  /** Unix seconds when this verifier was made: older requests may already have been seen. */
  private readonly startedS: number;

  constructor(
    private readonly secret: string,
    private readonly clock: () => number,
    private readonly maxAgeS = 300,
  ) {
    this.startedS = Math.floor(clock() / 1000);
  }

  verify(timestampHeader: unknown, signatureHeader: unknown, raw: Buffer): SlackVerifyResult {
    if (typeof timestampHeader !== 'string' || typeof signatureHeader !== 'string') {
      return { ok: false, refusal: 'missing_headers', message: 'missing X-Slack-Request-Timestamp or X-Slack-Signature' };
    }
    if (!/^[0-9]{1,12}$/.test(timestampHeader)) {
      return { ok: false, refusal: 'bad_timestamp', message: 'X-Slack-Request-Timestamp is not a Unix time in seconds' };
    }
    const nowS = Math.floor(this.clock() / 1000);
    if (Math.abs(nowS - Number(timestampHeader)) > this.maxAgeS) {
      return { ok: false, refusal: 'stale', message: `request timestamp is more than ${this.maxAgeS / 60} minutes from the server's time` };
    }
    if (!/^v0=[0-9a-f]{64}$/.test(signatureHeader)) {
      return { ok: false, refusal: 'bad_signature', message: 'X-Slack-Signature is not a v0 signature' };
    }
    const expected = Buffer.from(slackSignature(this.secret, timestampHeader, raw), 'utf8');
    const given = Buffer.from(signatureHeader, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return { ok: false, refusal: 'bad_signature', message: 'X-Slack-Signature does not match: not signed with this app\'s signing secret' };
    }
    this.prune(nowS);
    if (Number(timestampHeader) < this.startedS) {
      return { ok: false, refusal: 'replayed', message: 'request stamped before the server started: it may have been received already' };
    }
    if (this.seen.has(signatureHeader)) {
      return { ok: false, refusal: 'replayed', message: 'this request was already received' };
    }
    this.seen.set(signatureHeader, Number(timestampHeader));
    return { ok: true };
  }

  private prune(nowS: number): void {
    if (this.seen.size < 256) return;
    for (const [sig, ts] of this.seen) if (Math.abs(nowS - ts) > this.maxAgeS) this.seen.delete(sig);
    // a flood of distinct valid requests (only Slack can sign them) is still bounded
    while (this.seen.size > 100_000) {
      const first = this.seen.keys().next();
      if (first.done) break;
      this.seen.delete(first.value);
    }
  }
}
