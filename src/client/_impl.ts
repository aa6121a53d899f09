// The objects the client hands out (messages, subscriptions, transactions).
// Each reaches back into the client through a small interface of its own
// (Acknowledger, SubscriptionOwner, TransactionOwner). Their methods return
// the client's promises, or `refuse` ones: never a promise that could reject
// unobserved.

import type { AckMode } from "../builders.ts";
import type { StompBody, StompFrame } from "../frame.ts";
import type { StompHeaders } from "../headers.ts";
import type { MessageAckOptions, StompMessage } from "./message.ts";
import type { DrainOptions } from "./options.ts";
import type { SessionSubscription } from "./session.ts";
import { StompConnectionError } from "./errors.ts";
import { noop } from "./_util.ts";
import { DEFAULT_HIGH_WATER_MARK_BYTES } from "./_options.ts";
import {
  DRAIN_KEYS,
  FRAME_KEYS,
  refusedOptions,
  SEND_KEYS,
} from "./_op_keys.ts";
import type { StompSubscription, UnsubscribeOptions } from "./subscription.ts";
import type {
  StompTransaction,
  StompTransactionState,
  TransactionEndOptions,
  TransactionSendOptions,
} from "./transaction.ts";

/** A subscribe() call waiting for its RECEIPT (an operation). */
export interface Confirming {
  resolve(subscription: Subscription): void;
  fail(error: unknown, report: boolean): void;
}

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
export interface SubscriptionOwner extends Pick<Acknowledger, "refuse"> {
  unsubscribe(
    subscription: Subscription,
    options: UnsubscribeOptions,
  ): Promise<void>;
  drain(subscription: Subscription, options: DrainOptions): Promise<void>;
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
  /**
   * Its place in the order its subscription handed messages out (from 1),
   * once handed out in a `client` mode; 0 before, or in `auto` mode.
   */
  handedOut = 0;

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
    options ??= {};
    return this.settle("ACK", options, undefined);
  }

  nack(options: MessageAckOptions = {}): Promise<void> {
    options ??= {};
    return this.settle("NACK", options, undefined);
  }

  settle(
    command: "ACK" | "NACK",
    options: MessageAckOptions,
    transaction: Transaction | undefined,
  ): Promise<void> {
    const verb = command === "ACK" ? "acknowledge" : "reject";
    // A transaction's ack or nack checked its options already.
    const refused = transaction === undefined
      ? refusedOptions(this.#client, verb, options, FRAME_KEYS)
      : undefined;
    if (refused !== undefined) return refused;
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
    if (this.subscription.unsubscribed) {
      // RabbitMQ ends the connection for an ACK naming a subscription it
      // no longer has; ActiveMQ ignores it and delivers the message again.
      return this.#client.refuse(
        new TypeError(
          `Cannot ${verb} message ${
            JSON.stringify(this.messageId)
          }: subscription ${
            JSON.stringify(this.subscription.id)
          } was unsubscribed, and the broker delivers the message again`,
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
    // Brokers end the connection for a second acknowledgement.
    if (this.subscription.covers(this)) return Promise.resolve();
    this.subscription.settled(this);
    const done = this.#client.settle(this, command, options, transaction);
    done.then(undefined, () => {
      if (this.#settled === command) this.unsettle();
    });
    return done;
  }

  /** An aborted transaction, or a failed ACK, undid the acknowledgement. */
  unsettle(): void {
    this.#settled = undefined;
    this.subscription.unsettled(this);
  }
}

/**
 * How full a subscription's buffer is: below its high-water marks (0), at
 * them (1: reading stops), at twice them (2: reading stops even while a
 * RECEIPT is awaited).
 */
export type FillLevel = 0 | 1 | 2;

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
  #confirming: Confirming | undefined;
  #queue: Message[] = [];
  #head = 0;
  /** The body bytes of the messages from `#head` on. */
  #bytes = 0;
  #ended = false;
  #error: unknown;
  /** unsubscribe() was called: its messages can no longer be acknowledged. */
  #unsubscribed = false;
  /** Messages handed out so far in a `client` mode (see Message.handedOut). */
  #handedOut = 0;
  /**
   * The messages handed out in a `client` mode that still wait for an ACK
   * or NACK, by their place (numbers, not messages: bodies are not kept).
   */
  readonly #unsettled = new Set<number>();
  /** An undone acknowledgement put a place back out of order. */
  #reordered = false;
  /** A drain: told of every change it waits for; see beginDrain. */
  #drain: { readonly changed: () => void; lost: boolean } | undefined;
  /** Draining in a `client` mode: what arrives now is not handed out. */
  #holding = false;
  /** Messages that arrived while holding, left to the broker. */
  #held = 0;
  /** Messages from connections before this one cannot be acknowledged. */
  #oldestEpoch = 0;
  /** How full its buffer is, as last told to `#levels`. */
  #level: FillLevel = 0;
  /** Told of every change of `#level` (the registry counts them). */
  readonly #levels: ((from: FillLevel, to: FillLevel) => void) | undefined;
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
    levels?: (from: FillLevel, to: FillLevel) => void,
  ) {
    this.id = info.id;
    this.destination = info.destination;
    this.ack = info.ack;
    this.highWaterMark = highWaterMark;
    this.highWaterMarkBytes = highWaterMarkBytes;
    this.#client = client;
    this.#levels = levels;
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

  /**
   * subscribe() waits for the RECEIPT: `confirmed` resolves `waiting`,
   * `unconfirmed` or the end of the subscription rejects it.
   */
  awaitReceipt(waiting: Confirming | undefined): void {
    this.#confirming = waiting;
  }

  /** The server confirmed the SUBSCRIBE: whoever waited for it resolves. */
  confirmed(): void {
    const waiting = this.#confirming;
    this.#confirming = undefined;
    waiting?.resolve(this);
  }

  /**
   * The SUBSCRIBE will not be confirmed (the client closed): whoever waited
   * for it rejects with `error`. A subscription restored after a lost
   * connection has no RECEIPT pending until it is written again, so only it
   * can end that wait.
   */
  unconfirmed(error: Error): void {
    const waiting = this.#confirming;
    this.#confirming = undefined;
    waiting?.fail(error, false);
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

  /** Whether unsubscribe() was called (not merely the client closing). */
  get unsubscribed(): boolean {
    return this.#unsubscribed;
  }

  /** Messages handed out in a `client` mode and not yet acknowledged. */
  get unsettledCount(): number {
    return this.#unsettled.size;
  }

  /** Messages that arrived during a drain and were left to the broker. */
  get held(): number {
    return this.#held;
  }

  /** Whether a drain runs, and whether its connection was lost since. */
  get draining(): { readonly lost: boolean } | undefined {
    return this.#drain;
  }

  /**
   * A drain begins: `changed` is called whenever a message is handed out,
   * acknowledged, dropped, or the subscription ends. In a `client` mode,
   * nothing that arrives from now on is handed out (the broker gets it back
   * with UNSUBSCRIBE, or when the connection closes), and the iteration
   * ends once the buffer is empty.
   */
  beginDrain(changed: () => void): void {
    this.#drain = { changed, lost: false };
    if (this.ack !== "auto") {
      this.#holding = true;
      this.#wake?.();
    }
  }

  /** Its unsubscribe() was issued: acknowledgements would be refused. */
  markUnsubscribed(): void {
    this.#unsubscribed = true;
  }

  /** `message` was acknowledged (in `client` mode, with all before it). */
  settled(message: Message): void {
    const place = message.handedOut;
    if (place === 0 || !this.#unsettled.has(place)) return;
    if (this.ack === "client") {
      // In the order handed out, unless an undone acknowledgement came back.
      for (const earlier of this.#unsettled) {
        if (earlier <= place) this.#unsettled.delete(earlier);
        else if (!this.#reordered) break;
      }
      if (this.#unsettled.size === 0) this.#reordered = false;
    } else this.#unsettled.delete(place);
    this.#drain?.changed();
  }

  /**
   * In `client` mode, whether an ACK or NACK of a later message, issued on
   * `message`'s connection, covers it.
   */
  covers(message: Message): boolean {
    const place = message.handedOut;
    return this.ack === "client" && place !== 0 && !this.#ended &&
      message.epoch >= this.#oldestEpoch && !this.#unsettled.has(place);
  }

  /** `message`'s acknowledgement was undone, on its own connection. */
  unsettled(message: Message): void {
    if (message.handedOut === 0 || this.#ended) return;
    if (message.epoch < this.#oldestEpoch) return;
    this.#unsettled.add(message.handedOut);
    this.#reordered = true;
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

  /** Tells `#levels` when the buffer crossed a mark, or ended. */
  #sync(): void {
    const level: FillLevel = !this.full
      ? 0
      : this.buffered >= 2 * this.highWaterMark ||
          this.#bytes >= 2 * this.highWaterMarkBytes
      ? 2
      : 1;
    if (level === this.#level) return;
    const from = this.#level;
    this.#level = level;
    this.#levels?.(from, level);
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
          if (this.#ended || this.#holding) {
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
    options ??= {};
    return refusedOptions(this.#client, "unsubscribe", options, FRAME_KEYS) ??
      this.#client.unsubscribe(this, options);
  }

  drain(options: DrainOptions = {}): Promise<void> {
    options ??= {};
    return refusedOptions(this.#client, "drain", options, DRAIN_KEYS) ??
      this.#client.drain(this, options);
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
    if (this.#holding) {
      this.#held++;
      return;
    }
    this.#queue.push(message);
    this.#bytes += message.frame.bodyLength;
    if (this.#levels !== undefined) this.#sync();
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
    if (this.#confirming !== undefined) {
      this.unconfirmed(
        error instanceof Error ? error : new StompConnectionError(
          `Cannot subscribe to ${
            JSON.stringify(this.destination)
          }: the subscription ended before the server confirmed it`,
        ),
      );
    }
    // A drain sees what was left before it is dropped.
    this.#drain?.changed();
    if (this.ack !== "auto") this.#clear();
    this.#sync();
    this.#wake?.();
    this.#client.resume();
  }

  /** Drops buffered messages that arrived on a connection since lost. */
  purge(epoch: number): void {
    const drain = this.#drain;
    if (drain !== undefined) drain.lost = true;
    if (this.ack === "auto") {
      drain?.changed();
      return;
    }
    this.#oldestEpoch = epoch;
    this.#unsettled.clear();
    const kept = this.#queue.slice(this.#head).filter((m) => m.epoch >= epoch);
    this.#queue = kept;
    this.#head = 0;
    this.#bytes = 0;
    for (const message of kept) this.#bytes += message.frame.bodyLength;
    this.#sync();
    drain?.changed();
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
    if (this.#levels !== undefined) this.#sync();
    if (!this.full) this.#client.resume();
    if (this.ack !== "auto") {
      message.handedOut = ++this.#handedOut;
      this.#unsettled.add(message.handedOut);
    }
    this.#drain?.changed();
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
      if (this.#ended || this.#holding) {
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

/**
 * A connection the client's operations were bound to, and the error it
 * ended with, once it has (set by the client's core).
 */
export interface EpochFate {
  readonly epoch: number;
  lost: Error | undefined;
}

export class Transaction implements StompTransaction {
  readonly id: string;
  /** The connection the transaction lives on. */
  readonly epoch: number;
  readonly #fate: EpochFate;
  readonly #client: TransactionOwner;
  #state: StompTransactionState = "active";
  #settled: Message[] = [];

  constructor(id: string, fate: EpochFate, client: TransactionOwner) {
    this.id = id;
    this.epoch = fate.epoch;
    this.#fate = fate;
    this.#client = client;
  }

  /** Aborted, too, once the broker aborted it with its lost connection. */
  get state(): StompTransactionState {
    return this.#state === "active" && this.#fate.lost !== undefined
      ? "aborted"
      : this.#state;
  }

  /** The error its connection ended with, once lost. */
  get lost(): Error | undefined {
    return this.#fate.lost;
  }

  send(
    destination: string,
    body?: StompBody,
    options: TransactionSendOptions = {},
  ): Promise<void> {
    options ??= {};
    return this.#check("send in", options, SEND_KEYS) ??
      this.#client.transactionSend(this, destination, body, options);
  }

  ack(message: StompMessage, options: MessageAckOptions = {}): Promise<void> {
    options ??= {};
    return this.#settle(message, "ACK", options);
  }

  nack(message: StompMessage, options: MessageAckOptions = {}): Promise<void> {
    options ??= {};
    return this.#settle(message, "NACK", options);
  }

  commit(options: TransactionEndOptions = {}): Promise<void> {
    options ??= {};
    const refused = this.#check("commit", options);
    if (refused !== undefined) return refused;
    this.#state = "committed";
    this.#settled = [];
    const done = this.#client.transactionEnd(this, "COMMIT", options);
    done.catch(() => {
      // Its connection ended before the broker confirmed: the broker
      // aborted the transaction with it, as if lost before the COMMIT.
      if (this.#fate.lost !== undefined) this.#state = "active";
    });
    return done;
  }

  abort(options: TransactionEndOptions = {}): Promise<void> {
    options ??= {};
    const refused = this.#check("abort", options);
    if (refused !== undefined) return refused;
    this.#state = "aborted";
    for (const message of this.#settled) message.unsettle();
    this.#settled = [];
    return this.#client.transactionEnd(this, "ABORT", options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.state !== "active") return;
    await this.abort().catch(noop);
  }

  #settle(
    message: StompMessage,
    command: "ACK" | "NACK",
    options: MessageAckOptions,
  ): Promise<void> {
    const refused = this.#check(
      command === "ACK" ? "acknowledge in" : "reject in",
      options,
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

  /**
   * A refusal for options with a name not `known` (a `TypeError`), or when
   * the transaction has ended (a `TypeError` if the caller ended it, a
   * `StompConnectionError` if its connection was lost), else `undefined`.
   */
  #check(
    verb: string,
    options: object,
    known: Readonly<Record<string, 0>> = FRAME_KEYS,
  ): Promise<never> | undefined {
    const refused = refusedOptions(
      this.#client,
      `${verb} a transaction`,
      options,
      known,
    );
    if (refused !== undefined) return refused;
    const lost = this.#fate.lost;
    if (this.#state === "active" && lost === undefined) return undefined;
    const id = JSON.stringify(this.id);
    return this.#client.refuse(
      this.#state === "active"
        ? new StompConnectionError(
          `Cannot ${verb} transaction ${id}: it was lost with its connection (the broker aborted it)`,
          { cause: lost },
        )
        : new TypeError(
          `Cannot ${verb} transaction ${id}: it was ${this.#state} already`,
        ),
    );
  }
}
