// What a connection over an unpaced transport (one whose writes cannot wait
// for the network because it cannot tell what it still holds, as a SockJS
// socket) has written and the server has not yet confirmed. Every half
// window of bytes written, the next SEND asks a receipt of the window's
// own, one at a time, and the writer waits while more than the window is
// unconfirmed. Whether the server answers receipts at all is learnt from
// the first: the writer waits for it at most FIRST_ANSWER_MS, and while it
// has not come, no longer. It dies with the connection: a new one starts
// afresh.

import type { StompTimers } from "./options.ts";
import { withReceipt } from "./_encoding.ts";
import { type Deferred, deferred } from "./_util.ts";

/** The window's receipt ids, apart from the session's (`r-1`, ...). */
const RECEIPT_PREFIX = "unconfirmed-";

/**
 * How long the writer waits for the first receipt: a burst is written in
 * one go, long before any answer can be read, so waiting for none would
 * bound nothing; a server that answers no receipt (Spring's simple broker)
 * costs this once per connection, and is never waited for again.
 */
export const FIRST_ANSWER_MS = 1000;

export class UnconfirmedWindow {
  /** The bytes that may be unconfirmed before the writer waits. */
  readonly #limit: number;
  readonly #timers: StompTimers;
  /** Bytes written since the last receipt asked, at which the next is. */
  readonly #askEvery: number;
  /** Bytes written on the connection, and how many of them are confirmed. */
  #written = 0;
  #confirmed = 0;
  #sinceAsked = 0;
  /** The server answered one of the window's receipts. */
  #answered = false;
  /** The first one was asked (the clock of FIRST_ANSWER_MS started). */
  #probing = false;
  /** It did not come within FIRST_ANSWER_MS: the writer waits no more. */
  #unanswered = false;
  #timer: unknown;
  /** The receipt outstanding, and where the frame that asked it ends. */
  #pending: string | undefined;
  #pendingEnd = 0;
  #next = 1;
  #ended = false;
  #released: Deferred<void> | undefined;

  constructor(limit: number, timers: StompTimers) {
    this.#limit = limit;
    this.#timers = timers;
    this.#askEvery = limit / 2;
  }

  /**
   * Whether the writer must wait before writing more: over the limit, with
   * a receipt outstanding, from a server that answered one or is still
   * given time to answer the first.
   */
  get holding(): boolean {
    return this.#pending !== undefined && !this.#ended &&
      (this.#answered || !this.#unanswered) &&
      this.#written - this.#confirmed > this.#limit;
  }

  /**
   * Settles once the receipt outstanding comes, the time for the first is
   * up, or the connection ends.
   */
  wait(): Promise<void> {
    this.#released ??= deferred<void>();
    return this.#released.promise;
  }

  /**
   * Counts the chunks of one write (one frame each), asking the receipt on
   * the first SEND at or past half the window since the last one asked
   * (the chunk is replaced by a copy with the header). Returns the bytes
   * the header added.
   */
  count(chunks: Uint8Array[]): number {
    let added = 0;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      if (this.#pending === undefined && this.#sinceAsked >= this.#askEvery) {
        const id = `${RECEIPT_PREFIX}${this.#next}`;
        const asking = withReceipt(chunk, id);
        if (asking !== undefined) {
          this.#next++;
          chunks[i] = asking;
          added += asking.length - chunk.length;
          this.#written += asking.length;
          this.#pending = id;
          this.#pendingEnd = this.#written;
          this.#sinceAsked = 0;
          if (!this.#probing) this.#probe();
          continue;
        }
      }
      this.#written += chunk.length;
      this.#sinceAsked += chunk.length;
    }
    return added;
  }

  /**
   * A RECEIPT came: if it is the window's, what its frame ended is
   * confirmed. Returns whether it was.
   */
  receipt(id: string): boolean {
    if (id !== this.#pending) return false;
    this.#pending = undefined;
    this.#answered = true;
    this.#confirmed = this.#pendingEnd;
    this.#stopProbe();
    this.#release();
    return true;
  }

  /** The connection ended: nothing waits any more. */
  end(): void {
    this.#ended = true;
    this.#stopProbe();
    this.#release();
  }

  /** The first receipt was asked: the writer waits for it a while only. */
  #probe(): void {
    this.#probing = true;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#unanswered = true;
      this.#release();
    }, FIRST_ANSWER_MS);
  }

  #stopProbe(): void {
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #release(): void {
    const released = this.#released;
    this.#released = undefined;
    released?.resolve();
  }
}
