// The lifecycle every device driver follows: setup() once, optional poll(), describe() for logs.
// A driver whose chip fails sets `failed` and keeps quiet; it never throws into the caller.

export interface Driver {
  /** True once the chip stopped answering; further writes are ignored. */
  failed: boolean;
  /** Brings the chip to its safe initial state. */
  setup(): void;
  /** Periodic work, when the driver has any. */
  poll?(): void;
  /** One line for the console: what it is and how it is doing (never secrets). */
  describe(): string;
}
