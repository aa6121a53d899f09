/**
 * {@linkcode StompTestBroker}: an in-memory STOMP broker on a loopback port,
 * for tests and demos.
 *
 * @module
 */

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
import { type StompFrame, type StompVersion, VERSIONS } from "../frame.ts";
import { negotiateHeartBeat } from "../client/session.ts";

/** Options of {@linkcode StompTestBroker.listen}. */
export interface StompTestBrokerOptions {
  /**
   * The address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The TCP port; 0 picks a free one (see {@linkcode StompTestBroker.port}).
   *
   * @default {0}
   */
  port?: number;
  /**
   * Also accept STOMP over WebSocket (one frame per binary message; text
   * messages are accepted too) on a second port, at path `/ws`. `true` picks
   * a free port; see {@linkcode StompTestBroker.webSocketUrl}.
   *
   * @default {false}
   */
  webSocket?: boolean | { port?: number; path?: string };
  /** When set (with `passcode`), CONNECT must carry this login. */
  login?: string;
  /** When set (with `login`), CONNECT must carry this passcode. */
  passcode?: string;
  /**
   * The versions the broker speaks.
   *
   * @default {["1.0", "1.1", "1.2"]}
   */
  versions?: readonly StompVersion[];
  /**
   * The broker's heart-beat header: `[can send every, wants every]` in
   * milliseconds (RabbitMQ's smallest is 1000 too).
   *
   * @default {[1000, 1000]}
   */
  heartBeat?: HeartBeat;
  /**
   * How many heart-beat intervals a client may stay silent before the broker
   * drops it.
   *
   * @default {2}
   */
  heartBeatGrace?: number;
  /**
   * The `server` header of CONNECTED.
   *
   * @default {"stomper-test-broker"}
   */
  server?: string;
  /** Called with every frame received, before the broker acts on it. */
  onFrame?: (frame: StompFrame, connection: string) => void;
}

interface StoredMessage {
  readonly id: string;
  readonly destination: string;
  readonly headers: [string, string][];
  readonly body: Uint8Array;
  redelivered: boolean;
}

interface Delivery {
  readonly message: StoredMessage;
  readonly ackId: string;
  readonly subscription: BrokerSubscription;
}

interface BrokerSubscription {
  readonly connection: Connection;
  readonly id: string;
  readonly destination: string;
  readonly ack: AckMode;
  /** Most unacknowledged messages in the client modes; 0 is no limit. */
  readonly prefetch: number;
  readonly unacked: Delivery[];
}

interface Queue {
  readonly messages: StoredMessage[];
  readonly subscribers: BrokerSubscription[];
  next: number;
}

type TransactionOp =
  | { readonly kind: "send"; readonly frame: StompFrame }
  | { readonly kind: "ACK" | "NACK"; readonly delivery: Delivery };

/** How bytes leave a connection: TCP or WebSocket. */
interface Wire {
  write(bytes: Uint8Array): Promise<void>;
  close(): void;
}

class ProtocolError extends Error {
  readonly details: string;
  constructor(message: string, details = "") {
    super(message);
    this.details = details;
  }
}

const EOL = new Uint8Array([0x0a]);
const SUBPROTOCOLS: Record<string, StompVersion> = {
  "v12.stomp": "1.2",
  "v11.stomp": "1.1",
  "v10.stomp": "1.0",
};
// Above this many bytes waiting to be written to a connection, queues stop
// dispatching to it: a client that stops reading holds messages back in the
// broker, as a real broker does.
const WRITE_HIGH_WATER = 64 * 1024;
// Headers of SEND that are the broker's business, not the message's.
const SEND_ONLY_HEADERS = new Set([
  "destination",
  "receipt",
  "transaction",
  "content-length",
]);

function noop(): void {}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An in-memory STOMP 1.0/1.1/1.2 broker listening on a loopback TCP port
 * (and optionally a WebSocket), made for tests and demos: it lets an
 * application exercise its STOMP code with no broker installed. Production
 * uses a real broker: RabbitMQ, ActiveMQ, Artemis.
 *
 * What it does:
 * - Destinations `/queue/...` (each message to one subscriber, round-robin,
 *   kept until consumed) and `/topic/...` (each message to every current
 *   subscriber, not kept); `/temp-queue/...` is a queue too (for replies; it
 *   outlives the connection, unlike a real broker's); anything else is
 *   refused with an ERROR.
 * - The `auto`, `client` (cumulative) and `client-individual` ack modes;
 *   unacknowledged messages are redelivered (with `redelivered:true`) after
 *   a NACK, an UNSUBSCRIBE or the end of the connection. The
 *   `prefetch-count` SUBSCRIBE header caps unacknowledged messages per
 *   subscription, as in RabbitMQ. A queue stops dispatching to a connection
 *   whose socket does not drain.
 * - Receipts, transactions (BEGIN, SEND/ACK/NACK in a transaction, COMMIT,
 *   ABORT), heart-beats in both directions, version negotiation, optional
 *   login check.
 * - ERROR frames, after which it closes the connection as the specification
 *   says: frames before CONNECT, bad login, no common version, unknown
 *   destination, missing headers, unknown subscription, ack id or
 *   transaction, malformed frames.
 *
 * Nothing is persisted; {@linkcode StompTestBroker.close} forgets everything.
 *
 * @example A client against the test broker
 * ```ts
 * import { StompClient } from "@stomper/stomp/client";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen({ login: "guest", passcode: "guest" });
 * await using client = await StompClient.connectUrl(broker.url, {
 *   login: "guest",
 *   passcode: "guest",
 * });
 * await client.send("/queue/a", "kept until consumed", { receipt: true });
 * assertEquals(broker.depth("/queue/a"), 1);
 * ```
 */
export class StompTestBroker implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  readonly #webSocketPath: string;
  readonly #options: Required<
    Pick<
      StompTestBrokerOptions,
      "versions" | "heartBeat" | "heartBeatGrace" | "server"
    >
  >;
  readonly #login: string | undefined;
  readonly #passcode: string | undefined;
  readonly #onFrame:
    | ((frame: StompFrame, connection: string) => void)
    | undefined;
  readonly #connections = new Set<Connection>();
  readonly #queues = new Map<string, Queue>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #sockets = new Set<WebSocket>();
  readonly #accepting: Promise<void>;
  #nextConnection = 1;
  #nextMessage = 1;
  #closed = false;
  #heartbeats = 0;

  private constructor(options: StompTestBrokerOptions) {
    const hostname = options.hostname ?? "127.0.0.1";
    const versions = options.versions ?? VERSIONS;
    if (
      versions.length === 0 ||
      !versions.every((v) => (VERSIONS as readonly string[]).includes(v))
    ) {
      throw new TypeError(
        `Cannot start test broker: versions must list versions among 1.0, 1.1, 1.2, got ${
          JSON.stringify(versions)
        }`,
      );
    }
    const heartBeat = options.heartBeat ?? [1000, 1000];
    if (
      !Array.isArray(heartBeat) || heartBeat.length !== 2 ||
      !heartBeat.every((ms) => Number.isSafeInteger(ms) && ms >= 0)
    ) {
      throw new TypeError(
        `Cannot start test broker: heartBeat must be two non-negative integers, got ${
          JSON.stringify(heartBeat)
        }`,
      );
    }
    const grace = options.heartBeatGrace ?? 2;
    if (!(grace >= 1) || !Number.isFinite(grace)) {
      throw new RangeError(
        `Cannot start test broker: heartBeatGrace must be a number of at least 1, got ${grace}`,
      );
    }
    this.#options = {
      versions,
      heartBeat,
      heartBeatGrace: grace,
      server: options.server ?? "stomper-test-broker",
    };
    this.#login = options.login;
    this.#passcode = options.passcode;
    this.#onFrame = options.onFrame;
    this.#listener = Deno.listen({ hostname, port: options.port ?? 0 });
    const ws = options.webSocket;
    this.#webSocketPath = typeof ws === "object" ? ws.path ?? "/ws" : "/ws";
    if (ws !== undefined && ws !== false) {
      try {
        this.#server = Deno.serve({
          hostname,
          port: typeof ws === "object" ? ws.port ?? 0 : 0,
          onListen: noop,
        }, (request) => this.#upgrade(request));
      } catch (error) {
        this.#listener.close();
        throw error;
      }
    }
    this.#accepting = this.#accept();
  }

  /**
   * Starts a broker listening on a loopback port.
   *
   * @example Starting and stopping
   * ```ts
   * import { StompTestBroker } from "@stomper/stomp/testing";
   * import { assertMatch } from "@std/assert";
   *
   * const broker = StompTestBroker.listen({ webSocket: true });
   * assertMatch(broker.url, /^tcp:\/\/127\.0\.0\.1:\d+$/);
   * assertMatch(broker.webSocketUrl!, /^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
   * await broker.close();
   * ```
   *
   * @param options Address, credentials, versions, heart-beats and hooks.
   * @returns The running broker.
   */
  static listen(options: StompTestBrokerOptions = {}): StompTestBroker {
    return new StompTestBroker(options);
  }

  /** The address the broker listens on. */
  get hostname(): string {
    return this.#listener.addr.hostname;
  }

  /** The TCP port the broker listens on. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** The broker's TCP URL, such as `tcp://127.0.0.1:40123`. */
  get url(): string {
    return `tcp://${this.hostname}:${this.port}`;
  }

  /** The broker's WebSocket URL, when the WebSocket is on. */
  get webSocketUrl(): string | undefined {
    if (this.#server === undefined) return undefined;
    return `ws://${this.hostname}:${this.#server.addr.port}${this.#webSocketPath}`;
  }

  /** The number of open client connections. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Heart-beats (EOLs between frames) received from clients so far. */
  get heartbeatsReceived(): number {
    return this.#heartbeats;
  }

  /**
   * The messages waiting in a queue: sent, not yet delivered (or delivered
   * and given back).
   *
   * @param destination The queue, such as `/queue/a`.
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
    let count = 0;
    for (const connection of this.#connections) {
      for (const subscription of connection.subscriptions.values()) {
        if (subscription.destination === destination) {
          count += subscription.unacked.length;
        }
      }
    }
    return count;
  }

  /**
   * Drops every client connection at once, without an ERROR (as a network
   * failure or `rabbitmqctl close_all_connections` would). Their
   * unacknowledged messages go back to their queues.
   *
   * @returns The number of connections dropped.
   */
  dropConnections(): number {
    const count = this.#connections.size;
    for (const connection of [...this.#connections]) connection.close();
    return count;
  }

  /**
   * Stops the broker: stops listening, drops every connection, and resolves
   * once everything is released.
   *
   * @returns A promise that resolves when the broker has stopped.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#listener.close();
      } catch {
        // Closed already.
      }
      this.dropConnections();
      for (const socket of this.#sockets) {
        if (socket.readyState !== WebSocket.CLOSED) socket.close(1001);
      }
      await this.#server?.shutdown();
    }
    await this.#accepting;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  /**
   * Stops the broker (see {@linkcode StompTestBroker.close}), for
   * `await using`.
   *
   * @returns A promise that resolves when the broker has stopped.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- for connections -------------------------------------------------------

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task)).catch(noop);
  }

  async #accept(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // The listener was closed.
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      this.#track(this.#serveTcp(conn));
    }
  }

  async #serveTcp(conn: Deno.TcpConn): Promise<void> {
    // Frames are small writes; Nagle's algorithm would hold each one back
    // until the previous is acknowledged (40 ms with delayed ACKs).
    conn.setNoDelay(true);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      try {
        conn.close();
      } catch {
        // Closed by the peer already.
      }
    };
    let writing = Promise.resolve();
    const wire: Wire = {
      write(bytes) {
        // Serialised: frames must not interleave.
        writing = writing.then(async () => {
          let offset = 0;
          while (offset < bytes.length) {
            offset += await conn.write(bytes.subarray(offset));
          }
        });
        return writing;
      },
      close: release,
    };
    const connection = this.#open(wire);
    try {
      while (!connection.closed) {
        const buffer = new Uint8Array(64 * 1024);
        let n: number | null;
        try {
          n = await conn.read(buffer);
        } catch {
          break;
        }
        if (n === null) break;
        // A fresh buffer each time: frames may keep views of it.
        connection.receive(buffer.subarray(0, n));
      }
    } finally {
      connection.close();
      await writing.catch(noop);
      release();
    }
  }

  #upgrade(request: Request): Response {
    const url = new URL(request.url);
    if (url.pathname !== this.#webSocketPath) {
      return new Response("Not found", { status: 404 });
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    }
    const offered = (request.headers.get("sec-websocket-protocol") ?? "")
      .split(",").map((p) => p.trim());
    const protocol = offered.find((p) => p in SUBPROTOCOLS);
    const { socket, response } = Deno.upgradeWebSocket(
      request,
      protocol === undefined ? {} : { protocol },
    );
    socket.binaryType = "arraybuffer";
    const done = Promise.withResolvers<void>();
    this.#track(done.promise);
    this.#sockets.add(socket);
    let connection: Connection | undefined;
    const encoder = new TextEncoder();
    socket.onopen = () => {
      connection = this.#open({
        write(bytes) {
          if (bytes.length > 0 && socket.readyState === WebSocket.OPEN) {
            socket.send(bytes);
          }
          return Promise.resolve();
        },
        close() {
          if (
            socket.readyState === WebSocket.OPEN ||
            socket.readyState === WebSocket.CONNECTING
          ) {
            socket.close(1000, "STOMP connection closed");
          }
        },
      });
    };
    socket.onmessage = (event) => {
      connection?.receive(
        typeof event.data === "string"
          ? encoder.encode(event.data)
          : new Uint8Array(event.data as ArrayBuffer),
      );
    };
    socket.onclose = () => {
      this.#sockets.delete(socket);
      connection?.close();
      done.resolve();
    };
    socket.onerror = noop;
    return response;
  }

  #open(wire: Wire): Connection {
    const connection = new Connection(
      `c${this.#nextConnection++}`,
      wire,
      this.#options,
      this.#handlers,
    );
    this.#connections.add(connection);
    return connection;
  }

  // What a Connection calls back into. Built once, with closures over the
  // broker's private state.
  readonly #handlers: BrokerHandlers = {
    authenticate: (login, passcode) =>
      (this.#login === undefined && this.#passcode === undefined) ||
      (login === this.#login && passcode === this.#passcode),
    frame: (frame, connection) => this.#onFrame?.(frame, connection.id),
    heartbeat: () => this.#heartbeats++,
    publish: (frame) => this.#publish(frame),
    subscribed: (subscription) => {
      if (isQueue(subscription.destination)) {
        const queue = this.#queue(subscription.destination);
        queue.subscribers.push(subscription);
        this.#dispatch(queue);
      }
    },
    unsubscribed: (subscription) => {
      const queue = this.#queues.get(subscription.destination);
      if (queue !== undefined) {
        const at = queue.subscribers.indexOf(subscription);
        if (at !== -1) queue.subscribers.splice(at, 1);
      }
      this.#requeue(subscription.unacked.splice(0));
    },
    requeue: (deliveries) => this.#requeue(deliveries),
    drained: () => {
      for (const queue of this.#queues.values()) this.#dispatch(queue);
    },
    closed: (connection) => {
      this.#connections.delete(connection);
      for (const queue of this.#queues.values()) this.#dispatch(queue);
    },
  };

  #queue(destination: string): Queue {
    let queue = this.#queues.get(destination);
    if (queue === undefined) {
      queue = { messages: [], subscribers: [], next: 0 };
      this.#queues.set(destination, queue);
    }
    return queue;
  }

  #publish(frame: StompFrame): void {
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
      this.#dispatch(queue);
      return;
    }
    for (const connection of this.#connections) {
      for (const subscription of connection.subscriptions.values()) {
        if (subscription.destination === destination) {
          connection.deliver(subscription, message);
        }
      }
    }
  }

  #requeue(deliveries: Delivery[]): void {
    const byQueue = new Map<Queue, StoredMessage[]>();
    for (const { message } of deliveries) {
      // Topic messages are not kept: a message nobody acknowledged is gone.
      const queue = this.#queues.get(message.destination);
      if (queue === undefined) continue;
      message.redelivered = true;
      const list = byQueue.get(queue) ?? [];
      list.push(message);
      byQueue.set(queue, list);
    }
    for (const [queue, messages] of byQueue) {
      queue.messages.unshift(...messages);
      this.#dispatch(queue);
    }
  }

  #dispatch(queue: Queue): void {
    while (queue.messages.length > 0) {
      const subscribers = queue.subscribers;
      let chosen: BrokerSubscription | undefined;
      for (let i = 0; i < subscribers.length; i++) {
        const index = (queue.next + i) % subscribers.length;
        const candidate = subscribers[index]!;
        if (candidate.connection.hasRoom(candidate)) {
          chosen = candidate;
          queue.next = index + 1;
          break;
        }
      }
      if (chosen === undefined) return;
      chosen.connection.deliver(chosen, queue.messages.shift()!);
    }
  }
}

interface BrokerHandlers {
  authenticate(
    login: string | undefined,
    passcode: string | undefined,
  ): boolean;
  frame(frame: StompFrame, connection: Connection): void;
  heartbeat(): void;
  publish(frame: StompFrame): void;
  subscribed(subscription: BrokerSubscription): void;
  unsubscribed(subscription: BrokerSubscription): void;
  requeue(deliveries: Delivery[]): void;
  drained(): void;
  closed(connection: Connection): void;
}

type ConnectionOptions = {
  readonly versions: readonly StompVersion[];
  readonly heartBeat: HeartBeat;
  readonly heartBeatGrace: number;
  readonly server: string;
};

/** One client connection to the test broker. */
class Connection {
  readonly id: string;
  readonly subscriptions = new Map<string, BrokerSubscription>();
  readonly #wire: Wire;
  readonly #options: ConnectionOptions;
  readonly #broker: BrokerHandlers;
  readonly #decoder: StompDecoder;
  readonly #deliveries = new Map<string, Delivery>();
  readonly #transactions = new Map<string, TransactionOp[]>();
  #version: StompVersion = "1.2";
  #connected = false;
  #closed = false;
  #closing = false;
  #nextAck = 1;
  #pendingBytes = 0;
  #lastReceived = performance.now();
  #lastSent = performance.now();
  #sendTimer: ReturnType<typeof setTimeout> | undefined;
  #receiveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    id: string,
    wire: Wire,
    options: ConnectionOptions,
    broker: BrokerHandlers,
  ) {
    this.id = id;
    this.#wire = wire;
    this.#options = options;
    this.#broker = broker;
    this.#decoder = new StompDecoder({
      onHeartbeat: () => {
        if (this.#connected) broker.heartbeat();
      },
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  receive(bytes: Uint8Array): void {
    if (this.#closed || this.#closing) return;
    this.#lastReceived = performance.now();
    try {
      this.#decoder.decode(bytes, (frame) => {
        if (this.#closed || this.#closing) return;
        this.#broker.frame(frame, this);
        this.#handle(frame);
      });
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#fail(error.message, error.details, undefined);
      } else {
        this.#fail("Malformed frame", describe(error), undefined);
      }
    }
  }

  hasRoom(subscription: BrokerSubscription): boolean {
    if (this.#closed || this.#closing) return false;
    if (this.#pendingBytes > WRITE_HIGH_WATER) return false;
    return subscription.ack === "auto" || subscription.prefetch === 0 ||
      subscription.unacked.length < subscription.prefetch;
  }

  deliver(subscription: BrokerSubscription, message: StoredMessage): void {
    const ackId = `${this.id}-${this.#nextAck++}`;
    const needsAck = subscription.ack !== "auto";
    const headers = message.redelivered
      ? [...message.headers, ["redelivered", "true"] as [string, string]]
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
    this.#send(frame);
  }

  /** Ends the connection at once; what was not acknowledged goes back. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#sendTimer);
    clearTimeout(this.#receiveTimer);
    this.#transactions.clear();
    for (const subscription of this.subscriptions.values()) {
      this.#broker.unsubscribed(subscription);
    }
    this.subscriptions.clear();
    this.#deliveries.clear();
    this.#wire.close();
    this.#broker.closed(this);
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
    if (receipt !== undefined && !this.#closed) {
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
    if (!this.#broker.authenticate(login, frame.headers.get("passcode"))) {
      this.#send(errorFrame(
        "Bad CONNECT",
        `Access refused for user ${JSON.stringify(login ?? "")}`,
        { contentType: "text/plain" },
      ));
      this.#closeAfterWrites();
      return;
    }
    const heartBeat = frame.headers.get("heart-beat") ?? "0,0";
    const match = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(heartBeat);
    if (match === null) {
      throw new ProtocolError(
        "Invalid heart-beat header",
        `Expected two integers, got ${JSON.stringify(heartBeat)}`,
      );
    }
    const [serverSends, serverWants] = this.#options.heartBeat;
    const sendEvery = negotiateHeartBeat(serverSends, Number(match[2]));
    const expectEvery = negotiateHeartBeat(Number(match[1]), serverWants);
    this.#version = version;
    this.#decoder.version = version;
    this.#connected = true;
    this.#send(connected({
      ...(version === "1.0" ? {} : { version }),
      heartBeat: this.#options.heartBeat,
      session: this.id,
      server: this.#options.server,
    }));
    this.#startHeartBeats(sendEvery, expectEvery);
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
          this.#broker.publish(frame);
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
        if (this.subscriptions.has(id)) {
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
        const subscription: BrokerSubscription = {
          connection: this,
          id,
          destination,
          ack,
          prefetch,
          unacked: [],
        };
        this.subscriptions.set(id, subscription);
        this.#broker.subscribed(subscription);
        return;
      }
      case "UNSUBSCRIBE": {
        const id = headers.get("id") ??
          (this.#version === "1.0" ? headers.get("destination") : undefined);
        const subscription = id === undefined
          ? undefined
          : this.subscriptions.get(id);
        if (subscription === undefined) {
          throw new ProtocolError(
            "Unknown subscription",
            `No subscription ${JSON.stringify(id ?? "")} on this connection`,
          );
        }
        this.subscriptions.delete(subscription.id);
        for (const delivery of subscription.unacked) {
          this.#deliveries.delete(delivery.ackId);
        }
        this.#broker.unsubscribed(subscription);
        return;
      }
      case "ACK":
      case "NACK": {
        if (frame.command === "NACK" && this.#version === "1.0") {
          throw new ProtocolError("NACK is not part of STOMP 1.0");
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
          if (op.kind === "send") this.#broker.publish(op.frame);
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
      const id = this.#required(frame, "id");
      delivery = this.#deliveries.get(id);
      described = `ack id ${JSON.stringify(id)}`;
    } else {
      const messageId = this.#required(frame, "message-id");
      const subscriptionId = headers.get("subscription");
      described = `message-id ${JSON.stringify(messageId)}`;
      const candidates = subscriptionId === undefined
        ? [...this.subscriptions.values()]
        : [this.subscriptions.get(subscriptionId)];
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
    if (command === "NACK") this.#broker.requeue(settled);
    else this.#broker.drained();
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

  #required(frame: StompFrame, name: string): string {
    const value = frame.headers.get(name);
    if (value === undefined || value === "") {
      throw new ProtocolError(
        `Missing ${name} header`,
        `${frame.command} needs a ${name} header`,
      );
    }
    return value;
  }

  #send(frame: StompFrame): void {
    this.#write(encodeFrame(frame, { version: this.#version }));
  }

  #write(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#lastSent = performance.now();
    this.#pendingBytes += bytes.length;
    this.#wire.write(bytes).then(() => {
      this.#pendingBytes -= bytes.length;
      if (this.#pendingBytes <= WRITE_HIGH_WATER) this.#broker.drained();
    }, () => this.close());
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

  #startHeartBeats(sendEvery: number, expectEvery: number): void {
    if (sendEvery > 0) {
      const tick = () => {
        if (this.#closed) return;
        const idle = performance.now() - this.#lastSent;
        if (idle >= sendEvery * 0.8) this.#write(EOL);
        this.#sendTimer = setTimeout(
          tick,
          Math.max(1, this.#lastSent + sendEvery * 0.8 - performance.now()),
        );
      };
      this.#sendTimer = setTimeout(tick, sendEvery * 0.8);
    }
    if (expectEvery > 0) {
      const limit = expectEvery * this.#options.heartBeatGrace;
      const check = () => {
        if (this.#closed) return;
        const silent = performance.now() - this.#lastReceived;
        if (silent >= limit) {
          this.close();
          return;
        }
        this.#receiveTimer = setTimeout(check, limit - silent);
      };
      this.#receiveTimer = setTimeout(check, limit);
    }
  }
}

/** Whether a destination keeps its messages until consumed. */
function isQueue(destination: string): boolean {
  return destination.startsWith("/queue/") ||
    destination.startsWith("/temp-queue/");
}
