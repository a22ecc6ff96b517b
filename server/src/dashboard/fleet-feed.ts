// The fleet change feed: the one place the server says "something about machine X may have
// changed". Hook points call touch(name) / touchAll() (Core.storeEvent for every audit event,
// Core.adminAction, Core.bumpListVersion, the sync route and the legacy update route); touches
// made in the same turn of the event loop are coalesced and handed to subscribers once, on the
// next turn, as a list of names or 'all'. It carries no state itself: subscribers read the
// machine's current row and compare with what they sent last (dashboard streams, status board,
// the liveness tracker).

export type FleetTouch = string[] | 'all';
export type FleetListener = (touched: FleetTouch) => void;

export class FleetFeed {
  private readonly names = new Set<string>();
  private all = false;
  private scheduled: NodeJS.Immediate | null = null;
  private readonly listeners = new Set<FleetListener>();
  private closed = false;

  /** Machine `name` may have changed (state, telemetry, last event, commands). */
  touch(name: string): void {
    if (this.closed || this.listeners.size === 0) return;
    if (name === '') this.all = true;
    else this.names.add(name);
    this.schedule();
  }

  /** Every machine may have changed (list version, users, config). */
  touchAll(): void {
    if (this.closed || this.listeners.size === 0) return;
    this.all = true;
    this.schedule();
  }

  /** Calls `fn` after every batch of touches; returns the unsubscriber. */
  subscribe(fn: FleetListener): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  close(): void {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    this.listeners.clear();
    this.names.clear();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = null;
    const touched: FleetTouch = this.all ? 'all' : Array.from(this.names);
    this.all = false;
    this.names.clear();
    for (const fn of Array.from(this.listeners)) {
      try {
        fn(touched);
      } catch {
        // one subscriber's failure must not stop the others (nor the request that touched)
      }
    }
  }
}
