// The one receipt registry: the RECEIPTs the client waits for, by receipt
// id, with the operation each one confirms and the connection it was written
// on (a lost connection takes its receipts along; one not yet written waits
// for the next connection). The session numbers receipts and knows which of
// its ids are unanswered (for its own users); the client tells it only of
// a frame it gave up before writing.

/** A receipt the client waits for. */
export interface PendingReceipt {
  /** Confirms the operation. */
  readonly confirm: () => void;
  /** Rejects the operation (a matching ERROR, a lost connection). */
  readonly fail: (error: Error, report: boolean) => void;
  /** The subscription whose SUBSCRIBE asked for it, if one did. */
  readonly subscription: string | undefined;
  /** The connection it was written on; `undefined` while still queued. */
  epoch: number | undefined;
}

/**
 * What an awaited receipt holds in memory until it comes (its callbacks, the
 * operation and what they keep: about 2.4 KB measured for a SUBSCRIBE's),
 * counted against the send buffer's limit (see `ReceiptEvents.held`).
 */
export const RECEIPT_OVERHEAD = 2048;

/** What the registry tells its owner. */
export interface ReceiptEvents {
  /** A receipt was added: someone waits for it. */
  waiting?: () => void;
  /** The memory receipts hold grew (or shrank, below 0) by `bytes`. */
  held?: (bytes: number) => void;
}

export class Receipts {
  readonly #pending = new Map<string, PendingReceipt>();
  readonly #events: ReceiptEvents;

  constructor(events: ReceiptEvents = {}) {
    this.#events = events;
  }

  get size(): number {
    return this.#pending.size;
  }

  add(id: string, pending: PendingReceipt): void {
    if (!this.#pending.has(id)) this.#events.held?.(RECEIPT_OVERHEAD);
    this.#pending.set(id, pending);
    this.#events.waiting?.();
  }

  /** The frame asking for `id` was written on connection `epoch`. */
  written(id: string, epoch: number): void {
    const pending = this.#pending.get(id);
    if (pending !== undefined) pending.epoch = epoch;
  }

  /** Forgets a receipt and returns it. */
  take(id: string): PendingReceipt | undefined {
    const pending = this.#pending.get(id);
    if (pending !== undefined) this.#forget(id);
    return pending;
  }

  /**
   * The id of the oldest unconfirmed SUBSCRIBE written on connection
   * `epoch`: the likeliest cause of an ERROR that names no receipt (RabbitMQ
   * refuses an unknown destination so), since a server answers in order.
   */
  oldestSubscribe(epoch: number): string | undefined {
    for (const [id, pending] of this.#pending) {
      if (pending.epoch === epoch && pending.subscription !== undefined) {
        return id;
      }
    }
    return undefined;
  }

  /** Connection `epoch` was lost: what was written on it fails. */
  lost(epoch: number, error: Error): void {
    for (const [id, pending] of this.#pending) {
      if (pending.epoch !== epoch) continue;
      this.#forget(id);
      pending.fail(error, false);
    }
  }

  /** The client closed: everything fails. */
  closed(error: Error): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    this.#events.held?.(-all.length * RECEIPT_OVERHEAD);
    for (const pending of all) pending.fail(error, false);
  }

  #forget(id: string): void {
    this.#pending.delete(id);
    this.#events.held?.(-RECEIPT_OVERHEAD);
  }
}
