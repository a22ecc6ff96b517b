// A bounded buffer for a child process's output (the espruino CLI talking to a unit). Keeps at
// most `maxLines` recent lines (each cut to `maxLineLength`), drops older ones from the head with
// a running count shown as "[... N earlier lines elided]", and matches error patterns as each
// line arrives, so trimming can never hide the error that explains a failure. Memory stays flat
// however much a unit prints (a boot loop prints forever).

export interface ErrorPattern {
  code: string;
  pattern: RegExp;
  /** What to tell the technician. */
  hint: string;
}

export interface MatchedError {
  code: string;
  hint: string;
  line: string;
  /** 1-based number of the line in the whole stream. */
  lineNumber: number;
}

export interface BoundedLogOptions {
  maxLines?: number;
  maxLineLength?: number;
  /** At most this many matched errors are kept (the first ones: they explain the failure). */
  maxErrors?: number;
  patterns?: ErrorPattern[];
}

export class BoundedLog {
  private lines: string[] = [];
  private head = 0;
  private partial = '';
  private total = 0;
  private elidedCount = 0;
  readonly errors: MatchedError[] = [];
  private readonly maxLines: number;
  private readonly maxLineLength: number;
  private readonly maxErrors: number;
  private readonly patterns: ErrorPattern[];

  constructor(opts: BoundedLogOptions = {}) {
    this.maxLines = opts.maxLines ?? 200;
    this.maxLineLength = opts.maxLineLength ?? 400;
    this.maxErrors = opts.maxErrors ?? 20;
    this.patterns = opts.patterns ?? [];
  }

  /** Feed raw output (any chunking); complete lines are stored, a partial line waits (bounded). */
  write(chunk: string): void {
    let text = this.partial + chunk;
    let nl: number;
    let start = 0;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      this.pushLine(text.slice(start, nl).replace(/\r$/, ''));
      start = nl + 1;
    }
    text = text.slice(start);
    // A line that never ends must not grow without bound: flush it in pieces.
    while (text.length > this.maxLineLength) {
      this.pushLine(text.slice(0, this.maxLineLength));
      text = text.slice(this.maxLineLength);
    }
    this.partial = text;
  }

  /** Flush a trailing partial line. */
  end(): void {
    if (this.partial) this.pushLine(this.partial);
    this.partial = '';
  }

  pushLine(raw: string): void {
    this.total++;
    const line = raw.length > this.maxLineLength ? raw.slice(0, this.maxLineLength) + ' [cut]' : raw;
    if (this.errors.length < this.maxErrors) {
      for (const p of this.patterns) {
        if (p.pattern.test(line)) {
          this.errors.push({ code: p.code, hint: p.hint, line, lineNumber: this.total });
          break;
        }
      }
    }
    this.lines.push(line);
    if (this.lines.length - this.head > this.maxLines) {
      this.head++;
      this.elidedCount++;
      // Compact in batches so trimming stays O(1) amortised.
      if (this.head >= this.maxLines) {
        this.lines = this.lines.slice(this.head);
        this.head = 0;
      }
    }
  }

  /** Lines dropped from the head so far (accumulates across trims). */
  get elided(): number {
    return this.elidedCount;
  }

  get lineCount(): number {
    return this.total;
  }

  /** The kept lines, led by the elision notice when lines were dropped. */
  render(): string[] {
    const kept = this.lines.slice(this.head);
    return this.elidedCount > 0 ? [`[... ${this.elidedCount} earlier lines elided]`].concat(kept) : kept;
  }
}
