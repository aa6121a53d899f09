// One operation as its caller sees it: a promise that settles once, ended
// early by its timeout or its signal, and that never rejects unobserved.

import { StompTimeoutError } from "./errors.ts";
import type { StompTimers } from "./options.ts";
import { noop } from "./_util.ts";

/** What operations need from the client. */
export interface OperationContext {
  readonly timers: StompTimers;
  /** Where failures of an operation's own go (the client's onError). */
  report(error: Error): void;
}

/** How far an operation got: waiting to be written, or for its RECEIPT. */
export type OperationPhase = "queued" | "receipt";

export class Operation<T = void> {
  readonly promise: Promise<T>;
  /** What the operation writes, for messages: `SEND to "/queue/a"`. */
  readonly what: string;
  phase: OperationPhase = "queued";
  /**
   * Set by whoever holds the operation (the outgoing queue, the receipts):
   * called once when the timeout or the signal ends it first, to take it out.
   */
  cancel: (() => void) | undefined;
  readonly #context: OperationContext;
  readonly #signal: AbortSignal | undefined;
  #resolve!: (value: T) => void;
  #reject!: (reason: unknown) => void;
  #done = false;
  #timer: unknown;
  #onAbort: (() => void) | undefined;

  constructor(
    what: string,
    context: OperationContext,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    this.what = what;
    this.#context = context;
    this.#signal = signal;
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Whoever awaits still sees the rejection; nobody awaiting is no crash.
    this.promise.catch(noop);
    if (signal?.aborted) {
      this.#finish();
      this.#reject(signal.reason);
      return;
    }
    if (signal !== undefined) {
      this.#onAbort = () => this.#end(signal.reason, false);
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (timeout > 0) {
      this.#timer = context.timers.setTimeout(() => {
        this.#timer = undefined;
        this.#end(
          new StompTimeoutError(
            this.phase === "receipt"
              ? `No RECEIPT for ${this.what} within ${timeout} ms`
              : `${this.what} not written within ${timeout} ms (no connection, or no room in the send buffer)`,
            timeout,
          ),
          true,
        );
      }, timeout);
    }
  }

  /** Whether the operation has settled. */
  get done(): boolean {
    return this.#done;
  }

  resolve(value: T): void {
    if (this.#done) return;
    this.#finish();
    this.#resolve(value);
  }

  /**
   * Rejects; `report` sends the error to the client's onError too (for a
   * failure of the operation's own, not one shared with a lost connection).
   */
  fail(error: unknown, report: boolean): void {
    if (this.#done) return;
    this.#finish();
    this.#reject(error);
    if (report && error instanceof Error) this.#context.report(error);
  }

  #end(error: unknown, report: boolean): void {
    if (this.#done) return;
    const cancel = this.cancel;
    this.cancel = undefined;
    this.fail(error, report);
    cancel?.();
  }

  #finish(): void {
    this.#done = true;
    if (this.#timer !== undefined) {
      this.#context.timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener("abort", this.#onAbort);
      this.#onAbort = undefined;
    }
  }
}
