// Request/reply: where replies come back (the reply route, made by the first
// request and kept across reconnections while it suits the broker) and the
// requests waiting for their reply, by correlation-id.

import { StompConnectionError } from "./errors.ts";
import { Subscription, type SubscriptionOwner } from "./_impl.ts";
import type { Operation } from "./_operation.ts";
import type { StompFrame } from "../frame.ts";
import type { StompMessage } from "./subscription.ts";
import { type Deferred, deferred } from "./_util.ts";

/** What requests need from the client. */
export interface ReplyHost extends SubscriptionOwner {
  /**
   * Subscribes to a reply destination as subscribe() does; the
   * subscription made, or `undefined` when none could be.
   */
  subscribeReplies(destination: string): Subscription | undefined;
  /** A reply subscription no longer used: unsubscribed, or dropped. */
  releaseReplies(subscription: Subscription): void;
  /** The `server` header of the last CONNECTED. */
  readonly serverName: string | undefined;
}

/** How replies come back: the client option. */
export type ReplyMode = "auto" | "temp-queue" | "subscription";

/** Where the replies of request() go. */
interface ReplyRoute {
  readonly mode: "temp-queue" | "subscription";
  /** The `reply-to` header of requests. */
  readonly replyTo: string;
  /** The `subscription` header replies come with. */
  readonly id: string;
  /** What reply messages belong to (not the session's, for a temp queue). */
  readonly subscription: Subscription;
}

/** A request waiting for its reply. */
interface PendingRequest {
  readonly op: Operation<StompMessage>;
  /** The connection its SEND went out on, once written. */
  epoch: number | undefined;
}

export class Requests {
  readonly #host: ReplyHost;
  readonly #mode: ReplyMode;
  readonly #destination: string | undefined;
  readonly #replyId = randomId();
  readonly #prefix = `stomper-${randomId()}-`;
  #count = 0;
  #route: ReplyRoute | undefined;
  readonly #pending = new Map<string, PendingRequest>();
  /** Resolved once no request waits (see `settled`). */
  #idle: Deferred<void> | undefined;

  constructor(
    host: ReplyHost,
    mode: ReplyMode,
    destination: string | undefined,
  ) {
    this.#host = host;
    this.#mode = mode;
    this.#destination = destination;
  }

  /**
   * The `reply-to` destination of requests, made by the first request (a
   * reply subscription, where the broker needs one). Throws a
   * `StompConnectionError` when it cannot subscribe.
   */
  replyTo(): string {
    const current = this.#route;
    if (current !== undefined) {
      if (current.subscription.active && this.#fits(current)) {
        return current.replyTo;
      }
      // The client failed over to another kind of broker.
      this.#drop();
    }
    const mode = this.#kind();
    let route: ReplyRoute;
    if (mode === "temp-queue") {
      // RabbitMQ makes one exclusive queue per connection for this name, and
      // delivers its messages under a subscription named after it.
      const name = "/temp-queue/stomper-replies";
      route = {
        mode,
        replyTo: name,
        id: name,
        subscription: new Subscription(
          { id: name, destination: name, ack: "auto", headers: undefined },
          1,
          this.#host,
        ),
      };
    } else {
      const destination = this.#target();
      const made = this.#host.subscribeReplies(destination);
      if (made === undefined) {
        throw new StompConnectionError(
          `Cannot send a request: cannot subscribe to its reply destination ${
            JSON.stringify(destination)
          }`,
        );
      }
      route = { mode, replyTo: destination, id: made.id, subscription: made };
    }
    this.#route = route;
    return route.replyTo;
  }

  /** Registers a request waiting for its reply: its correlation-id. */
  add(op: Operation<StompMessage>): string {
    const id = this.#prefix + ++this.#count;
    this.#pending.set(id, { op, epoch: undefined });
    return id;
  }

  /** The request's SEND went out on connection `epoch`. */
  sent(id: string, epoch: number): void {
    const request = this.#pending.get(id);
    if (request !== undefined) request.epoch = epoch;
  }

  /** The request ended (timed out, aborted, or its SEND failed). */
  end(id: string): void {
    this.#pending.delete(id);
    this.#check();
  }

  /** How many requests wait for their reply. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Resolves once no request waits for its reply (at once if none does). */
  settled(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    this.#idle ??= deferred<void>();
    return this.#idle.promise;
  }

  #check(): void {
    if (this.#pending.size > 0 || this.#idle === undefined) return;
    const idle = this.#idle;
    this.#idle = undefined;
    idle.resolve();
  }

  /**
   * The reply subscription a MESSAGE belongs to, when it is a reply:
   * `subscription` is the one the session found for it (none for a
   * temp-queue reply).
   */
  replySubscription(
    frame: StompFrame,
    subscription: Subscription | undefined,
  ): Subscription | undefined {
    const route = this.#route;
    if (route === undefined) return undefined;
    const reply = subscription === undefined
      ? route.mode === "temp-queue" &&
        frame.headers.get("subscription") === route.id
      : subscription === route.subscription;
    return reply ? route.subscription : undefined;
  }

  /**
   * Hands a reply to the request that waits for it; false, having taken
   * nothing, when none does (it came late, or was never asked for).
   */
  settle(frame: StompFrame, message: () => StompMessage): boolean {
    const id = frame.headers.get("correlation-id");
    const request = id === undefined ? undefined : this.#pending.get(id);
    if (request === undefined) return false;
    this.#pending.delete(id!);
    request.op.resolve(message());
    this.#check();
    return true;
  }

  /**
   * A new connection is up: a reply subscription made for another kind of
   * broker is not restored.
   */
  reconnected(): void {
    const route = this.#route;
    if (route?.mode === "subscription" && !this.#fits(route)) this.#drop();
  }

  /**
   * Connection `epoch` was lost: the requests sent on it fail (they may or
   * may not have been processed).
   */
  lost(epoch: number, error: Error): void {
    for (const [id, request] of this.#pending) {
      if (request.epoch !== epoch) continue;
      this.#pending.delete(id);
      request.op.fail(
        new StompConnectionError(
          `No reply to ${request.op.what}: the connection it was sent on was lost (the request may have been processed)`,
          { cause: error },
        ),
        false,
      );
    }
    this.#check();
  }

  /** The client closed: every request fails. */
  closed(error: Error): void {
    for (const request of this.#pending.values()) {
      request.op.fail(error, false);
    }
    this.#pending.clear();
    this.#check();
  }

  /** Whether the server the client is on is a RabbitMQ. */
  get #onRabbitMq(): boolean {
    return /^rabbitmq\b/i.test(this.#host.serverName ?? "");
  }

  /** How replies come on the server the client is on. */
  #kind(): "temp-queue" | "subscription" {
    if (this.#mode !== "auto") return this.#mode;
    return this.#onRabbitMq ? "temp-queue" : "subscription";
  }

  /**
   * Where a reply subscription subscribes on this server: the option, or by
   * default a temporary queue (ActiveMQ, Artemis), or on RabbitMQ (which
   * takes `/temp-queue/` in `reply-to` only) a queue of its own bound to
   * `amq.direct`, deleted with the connection.
   */
  #target(): string {
    return this.#destination ??
      (this.#onRabbitMq
        ? `/exchange/amq.direct/stomper-replies-${this.#replyId}`
        : `/temp-queue/stomper-${this.#replyId}`);
  }

  /** Whether a reply route still suits the server the client is on. */
  #fits(route: ReplyRoute): boolean {
    return route.mode === this.#kind() &&
      (route.mode === "temp-queue" || route.replyTo === this.#target());
  }

  /** Forgets the reply route; a reply subscription ends, not restored. */
  #drop(): void {
    const route = this.#route;
    this.#route = undefined;
    if (route?.mode === "subscription") {
      this.#host.releaseReplies(route.subscription);
    }
  }
}

/** A random id for names that must not collide between clients. */
function randomId(): string {
  return crypto.randomUUID().slice(0, 8);
}
