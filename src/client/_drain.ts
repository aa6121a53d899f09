// Draining one subscription: nothing new handed out, what was handed out
// acknowledged, then UNSUBSCRIBE. In the `client` modes the UNSUBSCRIBE goes
// last because brokers do not take an acknowledgement after it: RabbitMQ
// ends the connection with "Subscription not found", ActiveMQ confirms the
// ACK but delivers the message again to the next consumer. In `auto` mode
// there is nothing to acknowledge, so it goes first and the messages that
// come before its RECEIPT are handed out too. The RECEIPT is waited for
// within the drain's timeout, and not at all when the connection the
// SUBSCRIBE went out on is lost (the broker dropped the subscription).

import { StompConnectionError, StompTimeoutError } from "./errors.ts";
import type { Subscription } from "./_impl.ts";
import type { OperationContext } from "./_operation.ts";
import { DEFAULT_DRAIN_TIMEOUT, operationTimeout } from "./_options.ts";
import type { DisconnectOptions, DrainOptions } from "./options.ts";
import type { UnsubscribeOptions } from "./subscription.ts";
import { deferred, noop } from "./_util.ts";

/**
 * What the DISCONNECT of a drain gets once the drain's timeout has passed:
 * time for a round trip, not the client's disconnectTimeout.
 */
const DISCONNECT_GRACE = 500;

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

/** What a drain of the client asks of it, beyond a subscription's. */
export interface ClientDrainHost extends DrainHost {
  /** The subscriptions to drain (not the one replies come to). */
  readonly drainable: Subscription[];
  readonly requests: { readonly pending: number; settled(): Promise<void> };
}

/**
 * Drains every subscription and waits for the requests, then disconnects
 * within what is left of the timeout (see `StompClient.drain`).
 */
export async function drainClient(
  host: ClientDrainHost,
  options: DrainOptions,
  disconnect: (options: DisconnectOptions) => Promise<void>,
): Promise<void> {
  const timers = host.context.timers;
  const started = timers.now();
  const results = await Promise.allSettled([
    ...host.drainable.map((s) => drainSubscription(s, host, options)),
    requestsSettled(host, options),
  ]);
  const timeout = options.timeout ?? DEFAULT_DRAIN_TIMEOUT;
  const disconnecting = disconnect(
    timeout > 0
      ? {
        timeout: Math.max(
          DISCONNECT_GRACE,
          Math.ceil(started + timeout - timers.now()),
        ),
      }
      : {},
  );
  for (const result of results) {
    if (result.status === "rejected") {
      await disconnecting.catch(noop);
      throw result.reason;
    }
  }
  await disconnecting;
}

/**
 * Waits, within the drain's timeout and until its signal, for the requests
 * still waiting for their reply.
 */
async function requestsSettled(
  host: ClientDrainHost,
  options: DrainOptions,
): Promise<void> {
  const requests = host.requests;
  if (requests.pending === 0) return;
  const timeout = operationTimeout("drain", options, DEFAULT_DRAIN_TIMEOUT);
  if (timeout instanceof Error) throw timeout;
  const signal = options.signal;
  const stop = deferred<never>();
  stop.promise.catch(noop);
  const deadline = timeout === 0
    ? undefined
    : host.context.deadlines.add(timeout, () => {
      const left = requests.pending;
      stop.reject(
        new StompTimeoutError(
          `Cannot drain: ${left} request${
            left === 1 ? "" : "s"
          } still waiting for a reply after ${timeout} ms`,
          timeout,
        ),
      );
    });
  const onAbort = () => stop.reject(signal!.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race([requests.settled(), stop.promise]);
  } finally {
    if (deadline !== undefined) deadline.expire = undefined;
    signal?.removeEventListener("abort", onAbort);
  }
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
  if (timeout instanceof Error) return host.refuse(timeout);
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
    const unsubscribed = this.#unsubscribe(false);
    await this.#until(() => unsubscribed.done || this.#stopped !== undefined);
    if (unsubscribed.failure !== undefined) throw unsubscribed.failure;
    if (!unsubscribed.done) throw this.#stopped;
  }

  /**
   * UNSUBSCRIBE asking for a receipt, whose end wakes the current wait. It
   * times out after the drain does, so that the drain's error comes first:
   * same timeouts expire in the order they were set.
   */
  #unsubscribe(retire: boolean): { done: boolean; failure: unknown } {
    const state = { done: false, failure: undefined as unknown };
    const timeout = this.#timeout;
    this.#host.unsubscribe(
      this.#subscription,
      timeout === 0 ? { receipt: true } : { receipt: true, timeout },
      retire,
    ).then(
      () => state.done = true,
      (error) => {
        state.done = true;
        state.failure = error;
      },
    ).then(() => this.#wake?.());
    return state;
  }

  /**
   * `auto` mode: UNSUBSCRIBE first, the messages that come before its
   * RECEIPT still handed out, then all of them read.
   */
  async #auto(): Promise<void> {
    const subscription = this.#subscription;
    const unsubscribed = this.#unsubscribe(true);
    await this.#until(() =>
      unsubscribed.done || this.#stopped !== undefined || this.#lost ||
      !subscription.active
    );
    if (subscription.active) this.#host.drop(subscription);
    if (this.#lost) throw this.#lostError();
    const failure = unsubscribed.failure;
    if (failure !== undefined) throw failure;
    if (!unsubscribed.done && this.#stopped !== undefined) throw this.#stopped;
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
