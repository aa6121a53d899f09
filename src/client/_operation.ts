// One operation as its caller sees it: a promise that settles once, ended
// early by its timeout or its signal, and that never rejects unobserved.

import { StompTimeoutError } from "./errors.ts";
import type { StompTimers } from "./options.ts";
import { noop } from "./_util.ts";

/** What operations need from the client. */
export interface OperationContext {
  readonly timers: StompTimers;
  /** Where operations' timeouts are kept. */
  readonly deadlines: Deadlines;
  /** Where failures of an operation's own go (the client's onError). */
  report(error: Error): void;
  /** Why a reply may be held back, said when one does not come in time. */
  behind?(): string | false | undefined;
}

/** A deadline kept by {@linkcode Deadlines}; `expire` is unset once settled. */
interface Deadline {
  readonly at: number;
  expire: (() => void) | undefined;
}

/**
 * The operations' timeouts, with one timer per distinct timeout rather than
 * one per operation: operations that share a timeout expire in the order
 * they were issued, so a queue per timeout, with a timer armed for its
 * oldest live deadline, holds them all. (Setting and clearing a timer per
 * operation was about a tenth of a receipt round trip's CPU.)
 */
export class Deadlines {
  readonly #timers: StompTimers;
  #closed = false;
  readonly #queues = new Map<number, {
    list: Deadline[];
    head: number;
    timer: unknown;
  }>();

  constructor(timers: StompTimers) {
    this.#timers = timers;
  }

  /** Calls `expire` in `timeout` ms unless the returned deadline is settled. */
  add(timeout: number, expire: () => void): Deadline {
    if (this.#closed) return { at: Infinity, expire };
    let queue = this.#queues.get(timeout);
    if (queue === undefined) {
      queue = { list: [], head: 0, timer: undefined };
      this.#queues.set(timeout, queue);
    }
    const deadline: Deadline = { at: this.#timers.now() + timeout, expire };
    // Settled ones at the head go first, so a steady stream stays short.
    while (
      queue.head < queue.list.length &&
      queue.list[queue.head]!.expire === undefined
    ) queue.head++;
    if (queue.head > 64 && queue.head * 2 > queue.list.length) {
      queue.list = queue.list.slice(queue.head);
      queue.head = 0;
    }
    queue.list.push(deadline);
    if (queue.timer === undefined) this.#arm(timeout, queue, timeout);
    return deadline;
  }

  #arm(
    timeout: number,
    queue: { list: Deadline[]; head: number; timer: unknown },
    delay: number,
  ): void {
    queue.timer = this.#timers.setTimeout(() => {
      queue.timer = undefined;
      const now = this.#timers.now();
      while (queue.head < queue.list.length) {
        const deadline = queue.list[queue.head]!;
        if (deadline.expire !== undefined && deadline.at > now) break;
        queue.head++;
        const expire = deadline.expire;
        deadline.expire = undefined;
        expire?.();
      }
      if (queue.head === queue.list.length) {
        this.#queues.delete(timeout);
        return;
      }
      this.#arm(timeout, queue, Math.max(1, queue.list[queue.head]!.at - now));
    }, delay);
  }

  /**
   * Stops every timer: the client closed, and everything that waited has
   * settled (a timer left armed after the last deadline settled would keep
   * the process alive until it fired). Later operations fail at once, so
   * their deadlines are not armed.
   */
  close(): void {
    this.#closed = true;
    for (const queue of this.#queues.values()) {
      if (queue.timer !== undefined) this.#timers.clearTimeout(queue.timer);
    }
    this.#queues.clear();
  }
}

/**
 * Calls `stalled` once `timeout` ms passed since the later of the call and
 * `source.progressAt` (when progress was last made, by `timers.now()`).
 * Returns the function that stops watching.
 */
export function watchProgress(
  timers: StompTimers,
  timeout: number,
  source: { readonly progressAt: number },
  stalled: () => void,
): () => void {
  const start = timers.now();
  let timer: unknown;
  const check = () => {
    const idle = timers.now() - Math.max(start, source.progressAt);
    if (idle >= timeout) {
      timer = undefined;
      stalled();
    } else {
      timer = timers.setTimeout(check, timeout - idle);
    }
  };
  timer = timers.setTimeout(check, timeout);
  return () => {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  };
}

/** How far an operation got: waiting to be written, or for its RECEIPT. */
export type OperationPhase = "queued" | "receipt" | "reply";

export class Operation<T = void> {
  readonly promise: Promise<T>;
  /** What the operation writes, for messages: `SEND to "/queue/a"`. */
  readonly what: string;
  #phase: OperationPhase = "queued";
  /** Called once when the timeout or the signal ends it first. */
  #cancel: (() => void) | undefined;
  readonly #context: OperationContext;
  readonly #signal: AbortSignal | undefined;
  #resolve!: (value: T) => void;
  #reject!: (reason: unknown) => void;
  #done = false;
  #deadline: Deadline | undefined;
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
      this.#deadline = context.deadlines.add(timeout, () => {
        this.#deadline = undefined;
        const behind = this.#phase === "queued"
          ? undefined
          : context.behind?.();
        this.#end(
          new StompTimeoutError(
            (this.#phase === "receipt"
              ? `No RECEIPT for ${this.what} within ${timeout} ms`
              : this.#phase === "reply"
              ? `No reply to ${this.what} within ${timeout} ms`
              : `${this.what} not written within ${timeout} ms (no connection, or no room in the send buffer)`) +
              (behind ? `: ${behind}` : ""),
            timeout,
          ),
          true,
        );
      });
    }
  }

  /** Whether the operation has settled. */
  get done(): boolean {
    return this.#done;
  }

  /** How far it got (what its timeout's message says). */
  get phase(): OperationPhase {
    return this.#phase;
  }

  /** It was written: it now waits for its RECEIPT, or its reply. */
  advance(phase: OperationPhase): void {
    this.#phase = phase;
  }

  /**
   * Whoever holds the operation (the outgoing queue, a request) says how to
   * take it out, should the timeout or the signal end it first.
   */
  onCancel(cancel: () => void): void {
    this.#cancel = cancel;
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
    const cancel = this.#cancel;
    this.#cancel = undefined;
    this.fail(error, report);
    cancel?.();
  }

  #finish(): void {
    this.#done = true;
    if (this.#deadline !== undefined) {
      this.#deadline.expire = undefined;
      this.#deadline = undefined;
    }
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener("abort", this.#onAbort);
      this.#onAbort = undefined;
    }
  }
}
