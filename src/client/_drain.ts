// Draining one subscription: nothing new handed out, what was handed out
// acknowledged, then UNSUBSCRIBE. In the `client` modes the UNSUBSCRIBE goes
// last because brokers do not take an acknowledgement after it: RabbitMQ
// ends the connection with "Subscription not found", ActiveMQ confirms the
// ACK but delivers the message again to the next consumer. In `auto` mode
// there is nothing to acknowledge, so it goes first and the messages that
// come before its RECEIPT are handed out too.

import { StompConnectionError, StompTimeoutError } from "./errors.ts";
import type { Subscription } from "./_impl.ts";
import type { OperationContext } from "./_operation.ts";
import { DEFAULT_DRAIN_TIMEOUT, operationTimeout } from "./_options.ts";
import type { DrainOptions } from "./options.ts";
import type { UnsubscribeOptions } from "./subscription.ts";
import { noop } from "./_util.ts";

/** What a drain asks of the client (the operations). */
export interface DrainHost {
  readonly context: OperationContext;
  /**
   * unsubscribe(); with `retire`, the subscription takes the messages that
   * come until the RECEIPT (see `Subscriptions.close`).
   */
  unsubscribe(
    subscription: Subscription,
    options: UnsubscribeOptions,
    retire: boolean,
  ): Promise<void>;
  /** Ends a subscription and forgets it (it is not restored). */
  drop(subscription: Subscription, error?: Error): void;
  /** A rejected promise nobody has to observe; the error goes to onError. */
  refuse(error: Error): Promise<never>;
}

/** The drains running, by subscription: a second call joins the first. */
const running = new WeakMap<Subscription, Promise<void>>();

/** Drains `subscription` (see `StompSubscription.drain`). */
export function drainSubscription(
  subscription: Subscription,
  host: DrainHost,
  options: DrainOptions,
): Promise<void> {
  const already = running.get(subscription);
  if (already !== undefined) return already;
  const name = `subscription ${JSON.stringify(subscription.id)} to ${
    JSON.stringify(subscription.destination)
  }`;
  const timeout = operationTimeout(
    `drain ${name}`,
    options,
    DEFAULT_DRAIN_TIMEOUT,
  );
  if (timeout instanceof RangeError) return host.refuse(timeout);
  if (!subscription.active) return Promise.resolve();
  const drain = new Drain(subscription, host, name, timeout, options.signal);
  const promise = drain.run();
  promise.catch(noop);
  running.set(subscription, promise);
  return promise;
}

class Drain {
  readonly #subscription: Subscription;
  readonly #host: DrainHost;
  /** `subscription "1" to "/queue/a"`, for messages. */
  readonly #name: string;
  readonly #timeout: number;
  readonly #signal: AbortSignal | undefined;
  /** Why the drain stopped waiting: its timeout passed, or its signal. */
  #stopped: unknown;
  /** Checks the condition of the current wait (see #until). */
  #wake: (() => void) | undefined;

  constructor(
    subscription: Subscription,
    host: DrainHost,
    name: string,
    timeout: number,
    signal: AbortSignal | undefined,
  ) {
    this.#subscription = subscription;
    this.#host = host;
    this.#name = name;
    this.#timeout = timeout;
    this.#signal = signal;
  }

  async run(): Promise<void> {
    const subscription = this.#subscription;
    subscription.beginDrain(() => this.#wake?.());
    const timeout = this.#timeout;
    const deadline = timeout === 0
      ? undefined
      : this.#host.context.deadlines.add(timeout, () => {
        this.#stop(
          new StompTimeoutError(
            `Cannot drain ${this.#name}: ${this.#left()} within ${timeout} ms`,
            timeout,
          ),
        );
      });
    const signal = this.#signal;
    const onAbort = () => this.#stop(signal!.reason);
    if (signal?.aborted) this.#stopped = signal.reason;
    else signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (subscription.ack === "auto") await this.#auto();
      else await this.#acknowledged();
    } finally {
      if (deadline !== undefined) deadline.expire = undefined;
      signal?.removeEventListener("abort", onAbort);
      this.#wake = undefined;
    }
  }

  /** The `client` modes: the messages handed out settled, then UNSUBSCRIBE. */
  async #acknowledged(): Promise<void> {
    const subscription = this.#subscription;
    const settled = () =>
      subscription.buffered === 0 && subscription.unsettledCount === 0;
    // What was left when the subscription ended some other way (told
    // before its buffer is dropped).
    let ended: string | undefined;
    await this.#until(() => {
      if (!subscription.active) {
        ended ??= settled() ? "" : this.#left();
        return true;
      }
      return this.#stopped !== undefined || this.#lost || settled();
    });
    if (this.#lost) throw this.#lostError();
    if (ended !== undefined) {
      if (ended === "") return;
      throw new StompConnectionError(
        `Cannot drain ${this.#name}: it ended while ${ended} (the broker delivers them again)`,
      );
    }
    if (this.#stopped !== undefined) {
      this.#host.unsubscribe(subscription, {}, false).catch(noop);
      throw this.#stopped;
    }
    // Written after every acknowledgement issued so far: its RECEIPT says
    // the broker has them all.
    await this.#host.unsubscribe(subscription, { receipt: true }, false);
  }

  /**
   * `auto` mode: UNSUBSCRIBE first, the messages that come before its
   * RECEIPT still handed out, then all of them read.
   */
  async #auto(): Promise<void> {
    const subscription = this.#subscription;
    let confirmed = false;
    let failure: unknown;
    this.#host.unsubscribe(subscription, { receipt: true }, true).then(
      () => {
        confirmed = true;
        this.#wake?.();
      },
      (error) => {
        failure = error;
        this.#wake?.();
      },
    );
    await this.#until(() =>
      confirmed || failure !== undefined || this.#stopped !== undefined ||
      this.#lost || !subscription.active
    );
    if (subscription.active) this.#host.drop(subscription);
    if (this.#lost) throw this.#lostError();
    if (failure !== undefined) throw failure;
    if (!confirmed && this.#stopped !== undefined) throw this.#stopped;
    await this.#until(() =>
      this.#stopped !== undefined || subscription.buffered === 0
    );
    if (subscription.buffered > 0) throw this.#stopped;
  }

  get #lost(): boolean {
    return this.#subscription.draining?.lost === true;
  }

  #lostError(): StompConnectionError {
    // Not restored on the next connection: the drain is over.
    this.#host.drop(this.#subscription);
    return new StompConnectionError(
      `Cannot drain ${this.#name}: the connection was lost before its messages were acknowledged (the broker delivers them again)`,
    );
  }

  /** What is left to do, for messages: "2 messages handed out ...". */
  #left(): string {
    const subscription = this.#subscription;
    const unsettled = subscription.unsettledCount;
    const buffered = subscription.buffered;
    const parts: string[] = [];
    if (unsettled > 0) {
      parts.push(
        `${count(unsettled)} handed out ${
          unsettled === 1 ? "was" : "were"
        } neither acknowledged nor rejected`,
      );
    }
    if (buffered > 0) {
      parts.push(
        `${count(buffered)} received ${
          buffered === 1 ? "was" : "were"
        } not read`,
      );
    }
    if (parts.length === 0) parts.push("the server did not confirm it");
    return parts.join(", and ");
  }

  #stop(reason: unknown): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = reason;
    this.#wake?.();
  }

  /** Resolves once `done()` holds, checked whenever the drain is told of a change. */
  #until(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        this.#wake = undefined;
        resolve();
      };
      this.#wake = check;
      check();
    });
  }
}

function count(n: number): string {
  return n === 1 ? "1 message" : `${n} messages`;
}
