// One client connection to the test broker: it decodes the client's frames,
// answers them (CONNECTED, RECEIPT, MESSAGE, ERROR), keeps the state that
// dies with the connection (subscriptions, deliveries awaiting an ACK,
// transactions, heart-beats) and reaches the destinations through the store.

import {
  type AckMode,
  connected,
  error as errorFrame,
  type HeartBeat,
  message as messageFrame,
  receipt as receiptFrame,
} from "../builders.ts";
import { StompDecoder } from "../decoder.ts";
import { encodeFrame } from "../encoder.ts";
import { escapeHeader } from "../_escape.ts";
import { StompFrame, type StompVersion } from "../frame.ts";
import { StompHeaders } from "../headers.ts";
import {
  HeartBeatScheduler,
  type HeartBeatTimers,
  negotiateHeartBeats,
  parseHeartBeat,
} from "../_heartbeat.ts";
import {
  type BrokerStore,
  isQueue,
  type StoredMessage,
  type Subscriber,
} from "./_store.ts";

/** How bytes leave a connection: TCP or WebSocket. */
export interface Wire {
  /**
   * Writes bytes after those written before; resolves once the socket took
   * them, rejects if the peer is gone.
   */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Bytes the socket holds beyond the writes still pending: a WebSocket's
   * `bufferedAmount`, whose `send()` takes everything at once.
   */
  buffered?(): number;
  /**
   * Drops the writes not yet begun (their promises resolve); the one under
   * way finishes, so no frame is cut.
   */
  discard?(): void;
  /** Closes the connection. */
  close(): void;
}

/** What every session of one broker is configured with. */
export interface SessionOptions {
  /** The versions the broker speaks. */
  readonly versions: readonly StompVersion[];
  /** The broker's heart-beat header. */
  readonly heartBeat: HeartBeat;
  /** Heart-beat intervals a client may stay silent. */
  readonly heartBeatGrace: number;
  /** The `server` header of CONNECTED. */
  readonly server: string;
  /** Whether each frame written ends with `\0\n` rather than `\0`. */
  readonly eolAfterFrame: boolean;
  /** Whether frames other than DISCONNECT get the RECEIPT they ask (unset: yes). */
  readonly receipts?: boolean;
  /**
   * The most bytes a connection may have waiting to be written (beyond one
   * frame); past it, the connection is ended as a slow consumer.
   */
  readonly maxUnwrittenBytes: number;
  /** The clock of the heart-beats. */
  readonly timers: HeartBeatTimers;
}

/** What a session tells the broker. */
export interface SessionHost {
  /** Whether a CONNECT's credentials are accepted. */
  authenticate(
    login: string | undefined,
    passcode: string | undefined,
  ): boolean;
  /** A frame came, before the session acts on it. */
  frame(frame: StompFrame, session: BrokerSession): void;
  /** A heart-beat came from a connected client. */
  heartbeat(): void;
  /** The session ended (called once). */
  closed(session: BrokerSession): void;
}

interface Delivery {
  readonly message: StoredMessage;
  readonly ackId: string;
  readonly subscription: Subscription;
}

type TransactionOp =
  | { readonly kind: "send"; readonly frame: StompFrame }
  | { readonly kind: "ACK" | "NACK"; readonly delivery: Delivery };

/** What a subscription asks of its session. */
interface SubscriptionOwner {
  /** Whether the connection takes more messages now. */
  room(): boolean;
  /** Writes a MESSAGE for the subscription. */
  deliver(subscription: Subscription, message: StoredMessage): void;
}

/** One SUBSCRIBE of a session, as the store sees it. */
class Subscription implements Subscriber {
  readonly id: string;
  readonly destination: string;
  readonly ack: AckMode;
  /** Most unacknowledged messages in the client modes; 0 is no limit. */
  readonly prefetch: number;
  /** Delivered and not yet acknowledged, oldest first. */
  readonly unacked: Delivery[] = [];
  readonly #owner: SubscriptionOwner;

  constructor(
    id: string,
    destination: string,
    ack: AckMode,
    prefetch: number,
    owner: SubscriptionOwner,
  ) {
    this.id = id;
    this.destination = destination;
    this.ack = ack;
    this.prefetch = prefetch;
    this.#owner = owner;
  }

  get unacknowledged(): number {
    return this.unacked.length;
  }

  ready(): boolean {
    return this.#owner.room() && (this.ack === "auto" ||
      this.prefetch === 0 || this.unacked.length < this.prefetch);
  }

  deliver(message: StoredMessage): void {
    this.#owner.deliver(this, message);
  }
}

/** A refusal: the session answers with ERROR and closes. */
class ProtocolError extends Error {
  readonly details: string;
  constructor(message: string, details = "") {
    super(message);
    this.details = details;
  }
}

const LF = 0x0a;
const EOL = new Uint8Array([LF]);
// Above this many bytes waiting to be written to a connection, queues stop
// dispatching to it: a client that stops reading holds messages back in the
// broker, as a real broker does.
const WRITE_HIGH_WATER = 64 * 1024;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One client connection to the test broker. */
export class BrokerSession {
  /** The session id (CONNECTED's `session` header). */
  readonly id: string;
  readonly #wire: Wire;
  readonly #options: SessionOptions;
  readonly #host: SessionHost;
  readonly #store: BrokerStore;
  readonly #decoder: StompDecoder;
  readonly #heartBeats: HeartBeatScheduler;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #deliveries = new Map<string, Delivery>();
  readonly #transactions = new Map<string, TransactionOp[]>();
  readonly #owner: SubscriptionOwner = {
    room: () =>
      !this.#closed && !this.#closing && !this.#overflowed &&
      this.#pendingBytes <= WRITE_HIGH_WATER,
    deliver: (subscription, message) => this.#deliver(subscription, message),
  };
  #version: StompVersion = "1.2";
  #connected = false;
  #closed = false;
  #closing = false;
  // Ended as a slow consumer: nothing more is written but its ERROR.
  #overflowed = false;
  #nextAck = 1;
  #pendingBytes = 0;

  /**
   * A session for a connection just accepted; it reads nothing by itself
   * (see {@linkcode BrokerSession.receive}).
   *
   * @param id The session id.
   * @param wire Where its bytes go.
   * @param options The broker's settings.
   * @param host The broker.
   * @param store The destinations.
   */
  constructor(
    id: string,
    wire: Wire,
    options: SessionOptions,
    host: SessionHost,
    store: BrokerStore,
  ) {
    this.id = id;
    this.#wire = wire;
    this.#options = options;
    this.#host = host;
    this.#store = store;
    this.#decoder = new StompDecoder({
      onHeartbeat: () => {
        if (this.#connected) host.heartbeat();
      },
    });
    this.#heartBeats = new HeartBeatScheduler(options.timers, {
      beat: () => {
        this.#write(EOL);
        return true;
      },
      silent: () => this.close(),
    });
  }

  /** Whether the session has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Takes bytes from the client: decodes and handles its frames.
   *
   * @param bytes What was read; frames may keep views of it.
   */
  receive(bytes: Uint8Array): void {
    if (this.#closed || this.#closing) return;
    this.#heartBeats.received();
    try {
      this.#decoder.decode(bytes, (frame) => {
        if (this.#closed || this.#closing) return;
        this.#host.frame(frame, this);
        this.#handle(this.#spoken(frame));
      });
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#fail(error.message, error.details, undefined);
      } else {
        // A decoder limit crossed (a RangeError) is no syntax error.
        this.#fail(
          error instanceof RangeError ? "Frame too large" : "Malformed frame",
          describe(error),
          undefined,
        );
      }
    }
  }

  /**
   * The frame as a STOMP 1.0 broker reads it: under 1.0 (a CONNECT without
   * accept-version included), the spaces and tabs after a header's colon
   * are not part of the value, as RabbitMQ and ActiveMQ take them and 1.0
   * clients (python3-stomper) write them: "destination: /queue/a".
   */
  #spoken(frame: StompFrame): StompFrame {
    const oneZero = this.#connected
      ? this.#version === "1.0"
      : !frame.headers.has("accept-version");
    if (!oneZero) return frame;
    let padded = false;
    for (const [, value] of frame.headers) {
      if (value.startsWith(" ") || value.startsWith("\t")) padded = true;
    }
    if (!padded) return frame;
    const headers: [string, string][] = [];
    for (const [name, value] of frame.headers) {
      headers.push([name, value.replace(/^[ \t]+/, "")]);
    }
    return new StompFrame(
      frame.command,
      new StompHeaders(headers),
      frame.body,
    );
  }

  /** Ends the session at once; what was not acknowledged goes back. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartBeats.stop();
    this.#release();
    this.#wire.close();
    this.#host.closed(this);
    this.#store.dispatch();
  }

  /** Ends every subscription and transaction; unacknowledged messages go back. */
  #release(): void {
    this.#transactions.clear();
    for (const subscription of this.#subscriptions.values()) {
      this.#end(subscription);
    }
    this.#subscriptions.clear();
    this.#deliveries.clear();
  }

  #deliver(subscription: Subscription, message: StoredMessage): void {
    const ackId = `${this.id}-${this.#nextAck++}`;
    const needsAck = subscription.ack !== "auto";
    const headers = message.redelivered
      ? [...message.headers, ["redelivered", "true"] as const]
      : message.headers;
    const frame = messageFrame(message.destination, message.body, {
      messageId: message.id,
      subscription: subscription.id,
      ...(needsAck && this.#version === "1.2" ? { ack: ackId } : {}),
      headers,
    });
    if (needsAck) {
      const delivery: Delivery = { message, ackId, subscription };
      subscription.unacked.push(delivery);
      this.#deliveries.set(ackId, delivery);
    }
    this.#write(this.#messageBytes(frame));
  }

  /**
   * A MESSAGE in this session's version. A header that version cannot carry
   * (sent by a client of a later one: LF under 1.0, a value ending in CR
   * under 1.1) is written in 1.2's escaped form, as RabbitMQ writes it, so
   * that neither the publisher nor the subscriber loses its connection.
   */
  #messageBytes(frame: StompFrame): Uint8Array {
    try {
      return this.#frameBytes(frame);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
    }
    if (this.#version !== "1.0") return this.#frameBytes(frame, "1.2");
    const headers: [string, string][] = [];
    for (const [name, value] of frame.headers) {
      headers.push([
        name.includes("\n") || name.includes(":")
          ? escapeHeader(name, true, true, "1.2", "MESSAGE")
          : name,
        value.includes("\n") || value.endsWith("\r")
          ? escapeHeader(value, false, true, "1.2", "MESSAGE", name)
          : value,
      ]);
    }
    return this.#frameBytes(
      new StompFrame("MESSAGE", new StompHeaders(headers), frame.body),
    );
  }

  /** A subscription ended: its unacknowledged messages go back. */
  #end(subscription: Subscription): void {
    const unacked = subscription.unacked.splice(0);
    for (const delivery of unacked) this.#deliveries.delete(delivery.ackId);
    this.#store.unsubscribe(subscription, unacked.map((d) => d.message));
  }

  #handle(frame: StompFrame): void {
    if (!this.#connected) {
      if (frame.command !== "CONNECT" && frame.command !== "STOMP") {
        throw new ProtocolError(
          "Expected CONNECT",
          `The first frame must be CONNECT or STOMP, got ${frame.command}`,
        );
      }
      this.#connect(frame);
      return;
    }
    const receipt = frame.headers.get("receipt");
    try {
      this.#command(frame);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#fail(error.message, error.details, receipt);
        return;
      }
      throw error;
    }
    if (
      receipt !== undefined && !this.#closed &&
      (this.#options.receipts !== false || frame.command === "DISCONNECT")
    ) {
      this.#send(receiptFrame(receipt));
      if (frame.command === "DISCONNECT") this.#closeAfterWrites();
    } else if (frame.command === "DISCONNECT") {
      this.#closeAfterWrites();
    }
  }

  #connect(frame: StompFrame): void {
    const accepted = frame.headers.get("accept-version");
    const offered = accepted === undefined
      ? ["1.0"]
      : accepted.split(",").map((v) => v.trim());
    const version = [...this.#options.versions].reverse().find((v) =>
      offered.includes(v)
    );
    if (version === undefined) {
      this.#send(errorFrame(
        "Supported protocol versions are " + this.#options.versions.join(","),
        `The client offered ${JSON.stringify(accepted ?? "1.0")}`,
        {
          contentType: "text/plain",
          headers: { version: this.#options.versions.join(",") },
        },
      ));
      this.#closeAfterWrites();
      return;
    }
    const login = frame.headers.get("login");
    if (!this.#host.authenticate(login, frame.headers.get("passcode"))) {
      this.#send(errorFrame(
        "Bad CONNECT",
        `Access refused for user ${JSON.stringify(login ?? "")}`,
        { contentType: "text/plain" },
      ));
      this.#closeAfterWrites();
      return;
    }
    const header = frame.headers.get("heart-beat");
    const clientHeartBeat = parseHeartBeat(header);
    if (clientHeartBeat === undefined) {
      throw new ProtocolError(
        "Invalid heart-beat header",
        `Expected two integers, got ${JSON.stringify(header)}`,
      );
    }
    const negotiated = negotiateHeartBeats(
      this.#options.heartBeat,
      clientHeartBeat,
    );
    this.#version = version;
    this.#decoder.version = version;
    this.#connected = true;
    this.#send(connected({
      ...(version === "1.0" ? {} : { version }),
      heartBeat: this.#options.heartBeat,
      session: this.id,
      server: this.#options.server,
    }));
    this.#heartBeats.start(negotiated, this.#options.heartBeatGrace);
  }

  #command(frame: StompFrame): void {
    const headers = frame.headers;
    switch (frame.command) {
      case "SEND": {
        this.#destination(frame);
        const transaction = headers.get("transaction");
        if (transaction !== undefined) {
          this.#transaction(transaction).push({ kind: "send", frame });
        } else {
          this.#store.publish(frame);
        }
        return;
      }
      case "SUBSCRIBE": {
        const destination = this.#destination(frame);
        const id = headers.get("id") ??
          (this.#version === "1.0" ? destination : undefined);
        if (id === undefined) {
          throw new ProtocolError(
            "Missing id header",
            "SUBSCRIBE needs an id header",
          );
        }
        if (this.#subscriptions.has(id)) {
          throw new ProtocolError(
            "Duplicate subscription",
            `Subscription ${JSON.stringify(id)} already exists`,
          );
        }
        const ack = headers.get("ack") ?? "auto";
        if (ack !== "auto" && ack !== "client" && ack !== "client-individual") {
          throw new ProtocolError(
            "Invalid ack mode",
            `Expected auto, client or client-individual, got ${
              JSON.stringify(ack)
            }`,
          );
        }
        const prefetchHeader = headers.get("prefetch-count");
        const prefetch = prefetchHeader === undefined
          ? 0
          : Number(prefetchHeader);
        if (!Number.isSafeInteger(prefetch) || prefetch < 0) {
          throw new ProtocolError(
            "Invalid prefetch-count header",
            `Expected a non-negative integer, got ${
              JSON.stringify(prefetchHeader)
            }`,
          );
        }
        const subscription = new Subscription(
          id,
          destination,
          ack,
          prefetch,
          this.#owner,
        );
        this.#subscriptions.set(id, subscription);
        this.#store.subscribe(subscription);
        return;
      }
      case "UNSUBSCRIBE": {
        const id = headers.get("id") ??
          (this.#version === "1.0" ? headers.get("destination") : undefined);
        const subscription = id === undefined
          ? undefined
          : this.#subscriptions.get(id);
        if (subscription === undefined) {
          throw new ProtocolError(
            "Unknown subscription",
            `No subscription ${JSON.stringify(id ?? "")} on this connection`,
          );
        }
        this.#subscriptions.delete(subscription.id);
        this.#end(subscription);
        return;
      }
      case "ACK":
      case "NACK": {
        if (frame.command === "NACK" && this.#version === "1.0") {
          throw new ProtocolError(
            "NACK is not part of STOMP 1.0",
            "This connection speaks STOMP 1.0, which has no NACK (1.1 added it): ACK the message instead, or connect with accept-version 1.1 or 1.2",
          );
        }
        const delivery = this.#findDelivery(frame);
        const transaction = headers.get("transaction");
        if (transaction !== undefined) {
          this.#transaction(transaction).push({
            kind: frame.command,
            delivery,
          });
        } else {
          this.#settle(delivery, frame.command);
        }
        return;
      }
      case "BEGIN": {
        const id = this.#required(frame, "transaction");
        if (this.#transactions.has(id)) {
          throw new ProtocolError(
            "Transaction already active",
            `Transaction ${JSON.stringify(id)} was begun already`,
          );
        }
        this.#transactions.set(id, []);
        return;
      }
      case "COMMIT": {
        const id = this.#required(frame, "transaction");
        const ops = this.#transaction(id);
        this.#transactions.delete(id);
        for (const op of ops) {
          if (op.kind === "send") this.#store.publish(op.frame);
          else this.#settle(op.delivery, op.kind);
        }
        return;
      }
      case "ABORT": {
        const id = this.#required(frame, "transaction");
        this.#transaction(id);
        this.#transactions.delete(id);
        return;
      }
      case "DISCONNECT":
        return;
      case "CONNECT":
      case "STOMP":
        throw new ProtocolError(
          "Already connected",
          `${frame.command} may only be the first frame`,
        );
      default:
        throw new ProtocolError(
          "Unexpected frame",
          `Clients do not send ${frame.command} frames`,
        );
    }
  }

  #findDelivery(frame: StompFrame): Delivery {
    const headers = frame.headers;
    let delivery: Delivery | undefined;
    let described: string;
    if (this.#version === "1.2") {
      const id = this.#required(
        frame,
        "id",
        " under STOMP 1.2 (the MESSAGE's ack header); message-id is the form of STOMP 1.0 and 1.1",
      );
      delivery = this.#deliveries.get(id);
      described = `ack id ${JSON.stringify(id)}`;
    } else {
      const messageId = this.#required(
        frame,
        "message-id",
        this.#version === "1.1"
          ? " under STOMP 1.1; id is the form of STOMP 1.2"
          : "",
      );
      const subscriptionId = headers.get("subscription");
      described = `message-id ${JSON.stringify(messageId)}`;
      const candidates = subscriptionId === undefined
        ? [...this.#subscriptions.values()]
        : [this.#subscriptions.get(subscriptionId)];
      for (const subscription of candidates) {
        delivery = subscription?.unacked.find((d) =>
          d.message.id === messageId
        );
        if (delivery !== undefined) break;
      }
    }
    if (delivery === undefined || !this.#deliveries.has(delivery.ackId)) {
      throw new ProtocolError(
        "Unknown message",
        `No unacknowledged message has ${described} on this connection`,
      );
    }
    return delivery;
  }

  #settle(delivery: Delivery, command: "ACK" | "NACK"): void {
    const unacked = delivery.subscription.unacked;
    const at = unacked.indexOf(delivery);
    // Settled meanwhile (a cumulative ACK, or a transaction replayed).
    if (at === -1) return;
    const settled = delivery.subscription.ack === "client"
      ? unacked.splice(0, at + 1)
      : unacked.splice(at, 1);
    for (const d of settled) this.#deliveries.delete(d.ackId);
    if (command === "NACK") {
      this.#store.requeue(settled.map((d) => d.message));
    } else this.#store.dispatch();
  }

  #destination(frame: StompFrame): string {
    const destination = this.#required(frame, "destination");
    if (
      !isQueue(destination) && !destination.startsWith("/topic/")
    ) {
      throw new ProtocolError(
        "Unknown destination",
        `Destinations start with /queue/, /temp-queue/ or /topic/, got ${
          JSON.stringify(destination)
        }`,
      );
    }
    return destination;
  }

  #transaction(id: string): TransactionOp[] {
    const ops = this.#transactions.get(id);
    if (ops === undefined) {
      throw new ProtocolError(
        "Unknown transaction",
        `Transaction ${JSON.stringify(id)} is not active`,
      );
    }
    return ops;
  }

  #required(frame: StompFrame, name: string, why = ""): string {
    const value = frame.headers.get(name);
    if (value === undefined || value === "") {
      throw new ProtocolError(
        `Missing ${name} header`,
        `${frame.command} needs ${
          name === "id" ? "an" : "a"
        } ${name} header${why}`,
      );
    }
    return value;
  }

  #send(frame: StompFrame): void {
    this.#write(this.#frameBytes(frame));
  }

  #frameBytes(frame: StompFrame, version = this.#version): Uint8Array {
    const bytes = encodeFrame(frame, { version });
    if (!this.#options.eolAfterFrame) return bytes;
    // One write (one WebSocket message) per frame, its EOL included, as
    // RabbitMQ's Web-STOMP sends them.
    const ended = new Uint8Array(bytes.length + 1);
    ended.set(bytes);
    ended[bytes.length] = LF;
    return ended;
  }

  #write(bytes: Uint8Array): void {
    if (this.#closed || this.#overflowed) return;
    const waiting = this.#pendingBytes + (this.#wire.buffered?.() ?? 0);
    // One frame always goes out, whatever its size; more than the limit
    // waiting behind it does not.
    if (
      waiting > 0 && waiting + bytes.length > this.#options.maxUnwrittenBytes
    ) {
      this.#overflow(waiting + bytes.length);
      return;
    }
    this.#put(bytes);
  }

  #put(bytes: Uint8Array): void {
    this.#heartBeats.sent();
    this.#pendingBytes += bytes.length;
    this.#wire.write(bytes).then(() => {
      this.#pendingBytes -= bytes.length;
      if (this.#pendingBytes <= WRITE_HIGH_WATER) this.#store.dispatch();
    }, () => this.close());
  }

  /**
   * A slow consumer: more than maxUnwrittenBytes would wait to be written.
   * What waits is dropped, an ERROR follows the frame under way, and the
   * connection closes once that is written (or when the client goes).
   * Holding the publishers back instead would stall every publisher of a
   * topic for its slowest subscriber, and a WebSocket cannot be read
   * slower; ActiveMQ's abortSlowConsumerStrategy ends the consumer too.
   */
  #overflow(wanted: number): void {
    this.#overflowed = true;
    this.#wire.discard?.();
    const limit = this.#options.maxUnwrittenBytes;
    const error = errorFrame(
      "Slow consumer",
      `${wanted} bytes would wait to be written to connection ${this.id}, more than maxUnwrittenBytes: ${limit}; the client does not read fast enough`,
      { contentType: "text/plain" },
    );
    this.#put(this.#frameBytes(error));
    // Not at once: a queue or topic may be delivering to this session now.
    queueMicrotask(() => {
      if (this.#closed) return;
      this.#release();
      this.#store.dispatch();
    });
    this.#closeAfterWrites();
  }

  #fail(message: string, details: string, receipt: string | undefined): void {
    this.#send(errorFrame(message, details, {
      contentType: "text/plain",
      ...(receipt === undefined ? {} : { receiptId: receipt }),
    }));
    this.#closeAfterWrites();
  }

  /** Stops taking frames, and closes once what was written has gone out. */
  #closeAfterWrites(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#wire.write(new Uint8Array(0)).then(
      () => this.close(),
      () => this.close(),
    );
  }
}
