// The objects the client hands out (messages, subscriptions, transactions).
// Each reaches back into the client through a small interface of its own
// (Acknowledger, SubscriptionOwner, TransactionOwner). Their methods return
// the client's promises, or `refuse` ones: never a promise that could reject
// unobserved.

import type { AckMode } from "../builders.ts";
import type { StompBody, StompFrame } from "../frame.ts";
import type { StompHeaders } from "../headers.ts";
import type { MessageAckOptions, StompMessage } from "./message.ts";
import type { SessionSubscription } from "./session.ts";
import { noop } from "./_util.ts";
import { DEFAULT_HIGH_WATER_MARK_BYTES } from "./_options.ts";
import type { StompSubscription, UnsubscribeOptions } from "./subscription.ts";
import type {
  StompTransaction,
  StompTransactionState,
  TransactionEndOptions,
  TransactionSendOptions,
} from "./transaction.ts";

/** What a message asks of the client: to acknowledge it, or to refuse. */
export interface Acknowledger {
  settle(
    message: Message,
    command: "ACK" | "NACK",
    options: MessageAckOptions,
    transaction: Transaction | undefined,
  ): Promise<void>;
  /** A rejected promise nobody has to observe; the error goes to onError. */
  refuse(error: Error): Promise<never>;
}

/** What a subscription asks of the client. */
export interface SubscriptionOwner {
  unsubscribe(
    subscription: Subscription,
    options: UnsubscribeOptions,
  ): Promise<void>;
  /** A subscription's buffer went below its high-water mark, or it ended. */
  resume(): void;
}

/** What a transaction asks of the client. */
export interface TransactionOwner extends Pick<Acknowledger, "refuse"> {
  transactionSend(
    transaction: Transaction,
    destination: string,
    body: StompBody | undefined,
    options: TransactionSendOptions,
  ): Promise<void>;
  transactionEnd(
    transaction: Transaction,
    command: "COMMIT" | "ABORT",
    options: TransactionEndOptions,
  ): Promise<void>;
}

export class Message implements StompMessage {
  readonly frame: StompFrame;
  readonly subscription: Subscription;
  /** The connection the message arrived on. */
  readonly epoch: number;
  readonly #client: Acknowledger;
  #settled: "ACK" | "NACK" | undefined;

  constructor(
    frame: StompFrame,
    subscription: Subscription,
    epoch: number,
    client: Acknowledger,
  ) {
    this.frame = frame;
    this.subscription = subscription;
    this.epoch = epoch;
    this.#client = client;
  }

  get headers(): StompHeaders {
    return this.frame.headers;
  }

  get body(): Uint8Array {
    return this.frame.body;
  }

  get text(): string {
    return this.frame.text;
  }

  get destination(): string | undefined {
    return this.frame.headers.get("destination");
  }

  get messageId(): string | undefined {
    return this.frame.headers.get("message-id");
  }

  get needsAck(): boolean {
    return this.subscription.ack !== "auto";
  }

  ack(options: MessageAckOptions = {}): Promise<void> {
    return this.settle("ACK", options, undefined);
  }

  nack(options: MessageAckOptions = {}): Promise<void> {
    return this.settle("NACK", options, undefined);
  }

  settle(
    command: "ACK" | "NACK",
    options: MessageAckOptions,
    transaction: Transaction | undefined,
  ): Promise<void> {
    const verb = command === "ACK" ? "acknowledge" : "reject";
    if (this.subscription.ack === "auto") {
      return this.#client.refuse(
        new TypeError(
          `Cannot ${verb} message ${
            JSON.stringify(this.messageId)
          }: subscription ${
            JSON.stringify(this.subscription.id)
          } is in "auto" mode, where the server needs no acknowledgement`,
        ),
      );
    }
    if (this.#settled !== undefined) {
      return this.#client.refuse(
        new TypeError(
          `Cannot ${verb} message ${JSON.stringify(this.messageId)}: it was ${
            this.#settled === "ACK" ? "acknowledged" : "rejected"
          } already`,
        ),
      );
    }
    // Marked at the call so that a second call made meanwhile fails.
    this.#settled = command;
    const done = this.#client.settle(this, command, options, transaction);
    done.then(undefined, () => {
      if (this.#settled === command) this.#settled = undefined;
    });
    return done;
  }

  /** An aborted transaction undid the acknowledgement. */
  unsettle(): void {
    this.#settled = undefined;
  }
}

export class Subscription implements StompSubscription {
  readonly id: string;
  readonly destination: string;
  readonly ack: AckMode;
  readonly highWaterMark: number;
  readonly highWaterMarkBytes: number;
  readonly #client: SubscriptionOwner;
  /** The connection its SUBSCRIBE last went out on; `undefined` before. */
  #wireEpoch: number | undefined;
  /** The subscribe() call waiting for the RECEIPT, when it asked for one. */
  #confirming: { resolve(subscription: Subscription): void } | undefined;
  #queue: Message[] = [];
  #head = 0;
  /** The body bytes of the messages from `#head` on. */
  #bytes = 0;
  #ended = false;
  #error: unknown;
  // A reader waiting for the next message (the iterator or the stream).
  #wake: (() => void) | undefined;
  #stream: ReadableStream<StompMessage> | undefined;
  // Who reads: a for-await loop, or `readable`. A subscription has one reader.
  #reader: "iterator" | "stream" | undefined;

  constructor(
    info: SessionSubscription,
    highWaterMark: number,
    client: SubscriptionOwner,
    highWaterMarkBytes: number = DEFAULT_HIGH_WATER_MARK_BYTES,
  ) {
    this.id = info.id;
    this.destination = info.destination;
    this.ack = info.ack;
    this.highWaterMark = highWaterMark;
    this.highWaterMarkBytes = highWaterMarkBytes;
    this.#client = client;
  }

  get readable(): ReadableStream<StompMessage> {
    // Built when first asked for: a for-await loop does not need it.
    // highWaterMark 0: the stream asks for a message only when a reader
    // waits, so the bounded queue here is the only buffer.
    this.#stream ??= new ReadableStream<StompMessage>({
      pull: (controller) => this.#pull(controller),
      cancel: () => this.#cancel(),
    }, { highWaterMark: 0 });
    return this.#stream;
  }

  /** The connection its SUBSCRIBE last went out on; `undefined` before. */
  get wireEpoch(): number | undefined {
    return this.#wireEpoch;
  }

  /** Its SUBSCRIBE went out on connection `epoch`. */
  sentOn(epoch: number): void {
    this.#wireEpoch = epoch;
  }

  /** subscribe() waits for the RECEIPT: `confirmed` resolves `waiting`. */
  awaitReceipt(
    waiting: { resolve(subscription: Subscription): void } | undefined,
  ): void {
    this.#confirming = waiting;
  }

  /** The server confirmed the SUBSCRIBE: whoever waited for it resolves. */
  confirmed(): void {
    const waiting = this.#confirming;
    this.#confirming = undefined;
    waiting?.resolve(this);
  }

  get buffered(): number {
    return this.#queue.length - this.#head;
  }

  get bufferedBytes(): number {
    return this.#bytes;
  }

  get active(): boolean {
    return !this.#ended;
  }

  /**
   * Whether the client must stop reading until this buffer drains: it
   * holds `highWaterMark` messages, or `highWaterMarkBytes` of bodies (one
   * larger message is let in whole; reading stops behind it).
   */
  get full(): boolean {
    return !this.#ended &&
      (this.buffered >= this.highWaterMark ||
        this.#bytes >= this.highWaterMarkBytes);
  }

  /**
   * Messages in order, straight from the buffer (no stream in between).
   * Ending the loop early (`break`, `return`, a throw) unsubscribes.
   */
  [Symbol.asyncIterator](): AsyncIterator<StompMessage> {
    this.#claim("iterator");
    const done = (): IteratorResult<StompMessage> => {
      this.#reader = undefined;
      return { done: true, value: undefined };
    };
    return {
      next: async () => {
        while (true) {
          if (this.#reader !== "iterator") return done();
          const message = this.#take();
          if (message !== undefined) return { done: false, value: message };
          if (this.#ended) {
            this.#reader = undefined;
            if (this.#error !== undefined) throw this.#error;
            return done();
          }
          await new Promise<void>((resolve) => this.#wake = resolve);
          this.#wake = undefined;
        }
      },
      return: async () => {
        if (this.#reader === "iterator") this.#reader = undefined;
        await this.#cancel();
        return done();
      },
    };
  }

  unsubscribe(options: UnsubscribeOptions = {}): Promise<void> {
    return this.#client.unsubscribe(this, options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#ended) return;
    try {
      await this.unsubscribe();
    } catch {
      // Disposal must not throw; a lost connection ended it anyway.
    }
  }

  deliver(message: Message): void {
    if (this.#ended) return;
    this.#queue.push(message);
    this.#bytes += message.frame.bodyLength;
    this.#wake?.();
  }

  /**
   * No more messages. Buffered messages that still need an acknowledgement
   * are dropped (they can no longer be acknowledged, and the broker
   * redelivers them); the others are still handed out, then the stream
   * closes, or errors with `error`.
   */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (this.ack !== "auto") this.#clear();
    this.#wake?.();
    this.#client.resume();
  }

  /** Drops buffered messages that arrived on a connection since lost. */
  purge(epoch: number): void {
    if (this.ack === "auto") return;
    const kept = this.#queue.slice(this.#head).filter((m) => m.epoch >= epoch);
    this.#queue = kept;
    this.#head = 0;
    this.#bytes = 0;
    for (const message of kept) this.#bytes += message.frame.bodyLength;
  }

  #clear(): void {
    this.#queue = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /** The next buffered message, if any; lets the client read on below the mark. */
  #take(): Message | undefined {
    if (this.#head === this.#queue.length) return undefined;
    const message = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as unknown as Message;
    this.#bytes -= message.frame.bodyLength;
    if (this.#head === this.#queue.length) this.#clear();
    else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (!this.full) this.#client.resume();
    return message;
  }

  #claim(reader: "iterator" | "stream"): void {
    // A stream reader may have released its lock since.
    const stream = this.#stream?.locked ? "stream" : undefined;
    const other = this.#reader === "stream" ? stream : this.#reader ??
      (reader === "iterator" ? stream : undefined);
    if (other === undefined) {
      this.#reader = reader;
      return;
    }
    throw new TypeError(
      `Cannot read subscription ${JSON.stringify(this.id)} to ${
        JSON.stringify(this.destination)
      } ${
        reader === "iterator" ? "in a for-await loop" : "through readable"
      }: ${
        other === "iterator" ? "a for-await loop" : "its readable"
      } reads it already (a subscription has one reader; to fan out, read it once and hand each message on, or subscribe again)`,
    );
  }

  async #cancel(): Promise<void> {
    if (this.#ended) return;
    try {
      await this.#client.unsubscribe(this, {});
    } catch {
      // Cancelling is giving up on the subscription; if the connection
      // is gone already the subscription is too.
    }
  }

  async #pull(
    controller: ReadableStreamDefaultController<StompMessage>,
  ): Promise<void> {
    if (this.#reader !== "stream") this.#claim("stream");
    while (true) {
      const message = this.#take();
      if (message !== undefined) {
        controller.enqueue(message);
        return;
      }
      if (this.#ended) {
        this.#reader = undefined;
        if (this.#error === undefined) controller.close();
        else controller.error(this.#error);
        return;
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
  }
}

export class Transaction implements StompTransaction {
  readonly id: string;
  /** The connection the transaction lives on. */
  readonly epoch: number;
  readonly #client: TransactionOwner;
  #state: StompTransactionState = "active";
  #settled: Message[] = [];

  constructor(id: string, epoch: number, client: TransactionOwner) {
    this.id = id;
    this.epoch = epoch;
    this.#client = client;
  }

  get state(): StompTransactionState {
    return this.#state;
  }

  send(
    destination: string,
    body?: StompBody,
    options: TransactionSendOptions = {},
  ): Promise<void> {
    return this.#check("send in") ??
      this.#client.transactionSend(this, destination, body, options);
  }

  ack(message: StompMessage, options: MessageAckOptions = {}): Promise<void> {
    return this.#settle(message, "ACK", options);
  }

  nack(message: StompMessage, options: MessageAckOptions = {}): Promise<void> {
    return this.#settle(message, "NACK", options);
  }

  commit(options: TransactionEndOptions = {}): Promise<void> {
    const refused = this.#check("commit");
    if (refused !== undefined) return refused;
    this.#state = "committed";
    this.#settled = [];
    return this.#client.transactionEnd(this, "COMMIT", options);
  }

  abort(options: TransactionEndOptions = {}): Promise<void> {
    const refused = this.#check("abort");
    if (refused !== undefined) return refused;
    this.#state = "aborted";
    for (const message of this.#settled) message.unsettle();
    this.#settled = [];
    return this.#client.transactionEnd(this, "ABORT", options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state !== "active") return;
    await this.abort().catch(noop);
  }

  #settle(
    message: StompMessage,
    command: "ACK" | "NACK",
    options: MessageAckOptions,
  ): Promise<void> {
    const refused = this.#check(
      command === "ACK" ? "acknowledge in" : "reject in",
    );
    if (refused !== undefined) return refused;
    if (!(message instanceof Message)) {
      return this.#client.refuse(
        new TypeError(
          `Cannot ${
            command === "ACK" ? "acknowledge" : "reject"
          } in transaction ${
            JSON.stringify(this.id)
          }: expected a message received by this client`,
        ),
      );
    }
    // Kept at once: an abort issued before the ACK is confirmed undoes it.
    this.#settled.push(message);
    return message.settle(command, options, this);
  }

  /** A refusal when the transaction has ended, else `undefined`. */
  #check(verb: string): Promise<never> | undefined {
    if (this.#state === "active") return undefined;
    return this.#client.refuse(
      new TypeError(
        `Cannot ${verb} transaction ${
          JSON.stringify(this.id)
        }: it was ${this.#state} already`,
      ),
    );
  }
}
