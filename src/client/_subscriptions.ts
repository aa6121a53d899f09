// The one subscription registry: the client's subscriptions by id, kept in
// step with the session's (which builds their frames and restores them
// after a reconnection). A subscription is added, ended, dropped and
// restored here only, so the two lists never disagree.

import type {
  SessionOutput,
  SessionReceiptOptions,
  SessionSubscribeOptions,
  StompSession,
} from "./session.ts";
import {
  type FillLevel,
  Subscription,
  type SubscriptionOwner,
} from "./_impl.ts";
import { DEFAULT_HIGH_WATER_MARK_BYTES } from "./_options.ts";
import { StompConnectionError } from "./errors.ts";
import type { StompFrame } from "../frame.ts";
import { StompHeaders } from "../headers.ts";

/** How many unsubscribed ids a connection remembers (the latest). */
const RETIRED = 1024;
// RabbitMQ's ERROR for a delivery to a consumer it cancelled (its tag is
// "T_" and the subscription id); it keeps the connection open.
const NOT_FOUND = "Subscription not found";
const NOT_FOUND_TAG = /^There is no current subscription with tag 'T_(.*)'\./s;

/** A SUBSCRIBE that restores a subscription on a new connection. */
export interface Restored {
  readonly subscription: Subscription;
  readonly out: SessionOutput;
}

export class Subscriptions {
  readonly #session: StompSession;
  readonly #owner: SubscriptionOwner;
  readonly #byId = new Map<string, Subscription>();
  /** Ids unsubscribed since the connection was made, oldest first. */
  readonly #retired = new Set<string>();
  /** The last connection lost: the server dropped what went out on it. */
  #lost = 0;
  /** Subscriptions at their high-water mark, and at twice it. */
  #full = 0;
  #overfull = 0;
  /** Keeps the counts as subscriptions fill and drain. */
  readonly #levels = (from: FillLevel, to: FillLevel): void => {
    this.#full += (to >= 1 ? 1 : 0) - (from >= 1 ? 1 : 0);
    this.#overfull += (to === 2 ? 1 : 0) - (from === 2 ? 1 : 0);
  };

  constructor(session: StompSession, owner: SubscriptionOwner) {
    this.#session = session;
    this.#owner = owner;
  }

  /** A new subscription, registered, and its SUBSCRIBE. */
  open(
    destination: string,
    options: SessionSubscribeOptions,
    highWaterMark: number,
    highWaterMarkBytes: number = DEFAULT_HIGH_WATER_MARK_BYTES,
  ): { readonly subscription: Subscription; readonly out: SessionOutput } {
    const headers = options.headers;
    if (headers !== undefined && new StompHeaders(headers).has("id")) {
      throw new TypeError(
        `Cannot subscribe to ${
          JSON.stringify(destination)
        }: the "id" header is the client's own (it numbers subscriptions; read subscription.id)`,
      );
    }
    const out = this.#session.subscribe(destination, options);
    const subscription = new Subscription(
      out.subscription,
      highWaterMark,
      this.#owner,
      highWaterMarkBytes,
      this.#levels,
    );
    this.#byId.set(subscription.id, subscription);
    return { subscription, out };
  }

  /** The subscription registered under `id`. */
  get(id: string): Subscription | undefined {
    return this.#byId.get(id);
  }

  /** Whether `subscription` is the one registered under its id. */
  has(subscription: Subscription): boolean {
    return this.#byId.get(subscription.id) === subscription;
  }

  /**
   * Forgets a subscription the server will not hear of (never written,
   * refused, or not to be restored) and ends it, with `error` if given.
   */
  drop(id: string, error?: unknown): void {
    const subscription = this.#byId.get(id);
    this.#byId.delete(id);
    this.#session.forget(id);
    subscription?.end(error);
  }

  /**
   * Ends a subscription for unsubscribe(): the UNSUBSCRIBE to write, or
   * `undefined` when the server need not hear of it (`frame` undefined: the
   * client is closing; the session no longer has it: refused; or its
   * SUBSCRIBE went out on a connection since lost, not yet restored). With
   * `retire` (a drain in `auto` mode), the subscription still takes the
   * messages that come until the server confirms the UNSUBSCRIBE, and
   * {@linkcode drop} ends it then.
   */
  close(
    subscription: Subscription,
    frame: SessionReceiptOptions | undefined,
    retire = false,
  ): SessionOutput | undefined {
    const id = subscription.id;
    const toServer = frame !== undefined &&
      this.#session.subscriptions.has(id) &&
      (subscription.wireEpoch ?? Infinity) > this.#lost;
    if (!toServer || !retire) {
      this.#byId.delete(id);
      subscription.end();
    }
    if (!toServer) {
      this.#session.forget(id);
      return undefined;
    }
    subscription.markUnsubscribed();
    const out = this.#session.unsubscribe(id, frame);
    this.#retired.add(id);
    if (this.#retired.size > RETIRED) {
      this.#retired.delete(this.#retired.values().next().value!);
    }
    return out;
  }

  /**
   * Whether `frame` is a delivery that was on its way when an UNSUBSCRIBE
   * went out on this connection: a MESSAGE for an id unsubscribed, or
   * RabbitMQ's ERROR "Subscription not found" (no receipt, naming such an
   * id if it names one), which it sends in place of each such MESSAGE.
   */
  late(frame: StompFrame): boolean {
    const retired = this.#retired;
    if (retired.size === 0) return false;
    const headers = frame.headers;
    if (frame.command === "MESSAGE") {
      return retired.has(headers.get("subscription") ?? "");
    }
    if (
      frame.command !== "ERROR" || headers.get("message") !== NOT_FOUND ||
      headers.has("receipt-id")
    ) return false;
    const tag = NOT_FOUND_TAG.exec(frame.text);
    return tag === null || retired.has(tag[1]!);
  }

  /** The subscriptions, as a list. */
  list(): Subscription[] {
    return [...this.#byId.values()];
  }

  /**
   * Whether reading must stop for now: a subscription's buffer is full
   * (counted as they fill and drain, so that this costs nothing per read).
   */
  get full(): boolean {
    return this.#full > 0;
  }

  /** Whether a subscription's buffer holds twice its high-water mark. */
  get overfull(): boolean {
    return this.#overfull > 0;
  }

  /**
   * Why a RECEIPT may not come while reading is paused: the subscription
   * whose full buffer holds it back, and what to do; `undefined` if none.
   */
  behind(): string | undefined {
    let full: Subscription | undefined;
    for (const subscription of this.#byId.values()) {
      if (!subscription.full) continue;
      full = subscription;
      if (subscription.buffered >= 2 * subscription.highWaterMark) break;
      if (subscription.bufferedBytes >= 2 * subscription.highWaterMarkBytes) {
        break;
      }
    }
    if (full === undefined) return undefined;
    return `reading is paused: subscription ${JSON.stringify(full.id)} to ${
      JSON.stringify(full.destination)
    } holds ${full.buffered} messages (${full.bufferedBytes} bytes of bodies) not yet taken, and the RECEIPT is behind more of them; take its messages before awaiting the receipt, raise highWaterMark (${full.highWaterMark}) or highWaterMarkBytes (${full.highWaterMarkBytes}) to hold them, or have the broker send fewer ahead of acknowledgements (a prefetch, such as RabbitMQ's prefetch-count header)`;
  }

  /**
   * The SUBSCRIBEs (each asking for a receipt) that restore, under their
   * ids, the subscriptions whose SUBSCRIBE went out on an earlier
   * connection, now going out on connection `epoch` (those still queued go
   * out in their turn).
   */
  restore(epoch: number): Restored[] {
    const restored = this.#session.resubscribe({
      only: (s) => this.#byId.get(s.id)?.wireEpoch !== undefined,
      receipt: true,
    });
    return restored.map((out) => {
      const subscription = this.#byId.get(out.frame.headers.get("id")!)!;
      subscription.sentOn(epoch);
      return { subscription, out };
    });
  }

  /**
   * Connection `epoch` was lost: messages buffered from it cannot be
   * acknowledged any more (the broker redelivers them).
   */
  lost(epoch: number, _error: Error): void {
    this.#lost = epoch;
    this.#retired.clear();
    for (const subscription of this.#byId.values()) {
      subscription.purge(epoch + 1);
    }
  }

  /**
   * The client closed: every subscription ends, with `error` if it failed;
   * a subscribe() still waiting for its RECEIPT rejects with `closing`.
   */
  closed(
    error: Error | undefined,
    closing: Error = error ??
      new StompConnectionError("The client was closed"),
  ): void {
    for (const subscription of this.#byId.values()) {
      subscription.unconfirmed(closing);
      subscription.end(error);
    }
    this.#byId.clear();
    this.#retired.clear();
  }
}
