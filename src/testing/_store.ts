// The test broker's store: what outlives a connection. Queues keep their
// messages until a subscriber takes them (round-robin among those ready);
// topics hand each message to every current subscriber and keep none. The
// store sees a subscription only as a Subscriber: whether it can take a
// message now, how many it holds unacknowledged, and where to deliver.

import type { StompFrame } from "../frame.ts";

/** A message as the store keeps it. */
export interface StoredMessage {
  /** The `message-id` it is delivered with. */
  readonly id: string;
  readonly destination: string;
  /** The SEND frame's own headers (without destination, receipt and such). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
  /** Delivered before and given back; set by the store only. */
  redelivered: boolean;
}

/** A subscription as the store sees it. */
export interface Subscriber {
  readonly destination: string;
  /** Messages delivered to it and not yet acknowledged. */
  readonly unacknowledged: number;
  /** Whether it takes a queue message now (room in its connection and prefetch). */
  ready(): boolean;
  /** Hands it a message. */
  deliver(message: StoredMessage): void;
}

interface Queue {
  readonly destination: string;
  readonly messages: StoredMessage[];
  readonly subscribers: Subscriber[];
  /** Where the round-robin goes on. */
  next: number;
}

// Headers of SEND that are the broker's business, not the message's.
const SEND_ONLY_HEADERS = new Set([
  "destination",
  "receipt",
  "transaction",
  "content-length",
]);

/**
 * Whether a destination keeps its messages until consumed (`/queue/...` and
 * `/temp-queue/...`); anything else the broker accepts is a topic.
 */
export function isQueue(destination: string): boolean {
  return destination.startsWith("/queue/") ||
    destination.startsWith("/temp-queue/");
}

/** Every destination of one test broker, with its messages and subscribers. */
export class BrokerStore {
  readonly #queues = new Map<string, Queue>();
  readonly #topics = new Map<string, Subscriber[]>();
  // The queues with messages waiting: dispatch() walks these only, so a write
  // costs the queues with work, not every queue a test ever used.
  readonly #waiting = new Set<Queue>();
  #nextMessage = 1;

  /** The queues and topics kept: those with messages or subscribers. */
  get destinations(): number {
    return this.#queues.size + this.#topics.size;
  }

  /**
   * The messages waiting in a queue.
   *
   * @param destination The queue.
   * @returns The number of messages.
   */
  depth(destination: string): number {
    return this.#queues.get(destination)?.messages.length ?? 0;
  }

  /**
   * The messages of a destination delivered and not yet acknowledged.
   *
   * @param destination The queue or topic.
   * @returns The number of messages.
   */
  unacknowledged(destination: string): number {
    const subscribers = this.#queues.get(destination)?.subscribers ??
      this.#topics.get(destination) ?? [];
    let count = 0;
    for (const subscriber of subscribers) count += subscriber.unacknowledged;
    return count;
  }

  /**
   * Takes the message of a SEND frame (its body copied): a queue keeps it
   * for one subscriber, a topic hands it to every current subscriber.
   *
   * @param frame The SEND frame, its destination checked.
   */
  publish(frame: StompFrame): void {
    const destination = frame.headers.get("destination")!;
    const headers: [string, string][] = [];
    for (const [name, value] of frame.headers) {
      if (!SEND_ONLY_HEADERS.has(name)) headers.push([name, value]);
    }
    const message: StoredMessage = {
      id: `m-${this.#nextMessage++}`,
      destination,
      headers,
      body: frame.body.slice(),
      redelivered: false,
    };
    if (isQueue(destination)) {
      const queue = this.#queue(destination);
      queue.messages.push(message);
      this.#waiting.add(queue);
      this.#dispatch(queue);
      return;
    }
    const subscribers = this.#topics.get(destination);
    if (subscribers === undefined) return;
    for (const subscriber of subscribers) subscriber.deliver(message);
  }

  /**
   * Adds a subscriber; a queue's waiting messages go out to it at once.
   *
   * @param subscriber The new subscription.
   */
  subscribe(subscriber: Subscriber): void {
    if (isQueue(subscriber.destination)) {
      const queue = this.#queue(subscriber.destination);
      queue.subscribers.push(subscriber);
      this.#dispatch(queue);
      return;
    }
    const subscribers = this.#topics.get(subscriber.destination);
    if (subscribers === undefined) {
      this.#topics.set(subscriber.destination, [subscriber]);
    } else subscribers.push(subscriber);
  }

  /**
   * Removes a subscriber and gives back what it held unacknowledged.
   *
   * @param subscriber The subscription that ended.
   * @param unacknowledged Its messages delivered and not acknowledged.
   */
  unsubscribe(
    subscriber: Subscriber,
    unacknowledged: readonly StoredMessage[],
  ): void {
    const destination = subscriber.destination;
    const queue = this.#queues.get(destination);
    const subscribers = queue?.subscribers ?? this.#topics.get(destination);
    const at = subscribers?.indexOf(subscriber) ?? -1;
    if (at !== -1) subscribers!.splice(at, 1);
    if (subscribers?.length === 0 && this.#topics.has(destination)) {
      this.#topics.delete(destination);
    }
    this.requeue(unacknowledged);
    if (queue !== undefined) this.#forget(queue);
  }

  /**
   * Puts messages back at the head of their queues, marked redelivered, and
   * delivers them again; a topic's messages are dropped.
   *
   * @param messages Delivered messages given back (NACK, end of subscription).
   */
  requeue(messages: readonly StoredMessage[]): void {
    const byQueue = new Map<Queue, StoredMessage[]>();
    for (const message of messages) {
      // Topic messages are not kept: a message nobody acknowledged is gone.
      if (!isQueue(message.destination)) continue;
      const queue = this.#queue(message.destination);
      message.redelivered = true;
      const list = byQueue.get(queue) ?? [];
      list.push(message);
      byQueue.set(queue, list);
    }
    for (const [queue, list] of byQueue) {
      queue.messages.unshift(...list);
      this.#waiting.add(queue);
      this.#dispatch(queue);
    }
  }

  /** Delivers what waits in every queue to subscribers that are ready now. */
  dispatch(): void {
    // A queue that empties leaves the set as it is walked: allowed for a Set.
    for (const queue of this.#waiting) this.#dispatch(queue);
  }

  #queue(destination: string): Queue {
    let queue = this.#queues.get(destination);
    if (queue === undefined) {
      queue = { destination, messages: [], subscribers: [], next: 0 };
      this.#queues.set(destination, queue);
    }
    return queue;
  }

  /** Drops a queue that holds nothing and has no subscribers. */
  #forget(queue: Queue): void {
    if (queue.messages.length === 0 && queue.subscribers.length === 0) {
      this.#queues.delete(queue.destination);
    }
  }

  #dispatch(queue: Queue): void {
    while (queue.messages.length > 0) {
      const subscribers = queue.subscribers;
      let chosen: Subscriber | undefined;
      for (let i = 0; i < subscribers.length; i++) {
        const index = (queue.next + i) % subscribers.length;
        const candidate = subscribers[index]!;
        if (candidate.ready()) {
          chosen = candidate;
          queue.next = index + 1;
          break;
        }
      }
      if (chosen === undefined) return;
      chosen.deliver(queue.messages.shift()!);
    }
    this.#waiting.delete(queue);
    this.#forget(queue);
  }
}
