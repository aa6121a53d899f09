/**
 * {@linkcode StompTestBroker}: an in-memory STOMP broker on a loopback port,
 * for tests and demos.
 *
 * @module
 */

import type { HeartBeat } from "../builders.ts";
import { type StompFrame, type StompVersion, VERSIONS } from "../frame.ts";
import { SYSTEM_TIMERS } from "../_heartbeat.ts";
import { BrokerStore, isQueue } from "./_store.ts";
import { chooseSubprotocol } from "./_subprotocol.ts";
import {
  BrokerSession,
  type SessionHost,
  type SessionOptions,
  type Wire,
} from "./_session.ts";
import { TcpWire } from "./_tcp_wire.ts";
import { refuseUnknownKeys } from "../_keys.ts";
import { typeName } from "../_type_name.ts";

/**
 * Every option's name, so that one misspelt from JavaScript is refused
 * rather than ignored (a new option missing here fails the type check).
 */
const OPTION_NAMES = Object.keys(
  {
    hostname: 0,
    port: 0,
    webSocket: 0,
    login: 0,
    passcode: 0,
    versions: 0,
    heartBeat: 0,
    heartBeatGrace: 0,
    server: 0,
    eolAfterFrame: 0,
    receipts: 0,
    maxUnwrittenBytes: 0,
    onFrame: 0,
  } satisfies Record<keyof StompTestBrokerOptions, 0>,
);

/** Options of {@linkcode StompTestBroker.listen}. */
export interface StompTestBrokerOptions {
  /**
   * The address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string | undefined;
  /**
   * The TCP port; 0 picks a free one (see {@linkcode StompTestBroker.port}).
   *
   * @default {0}
   */
  port?: number | undefined;
  /**
   * Also accept STOMP over WebSocket (one frame per binary message; text
   * messages are accepted too) on a second port, at path `/ws`. `true` picks
   * a free port; see {@linkcode StompTestBroker.webSocketUrl}.
   *
   * @default {false}
   */
  webSocket?:
    | boolean
    | { port?: number | undefined; path?: string | undefined }
    | undefined;
  /** When set (with `passcode`), CONNECT must carry this login. */
  login?: string | undefined;
  /** When set (with `login`), CONNECT must carry this passcode. */
  passcode?: string | undefined;
  /**
   * The versions the broker speaks.
   *
   * @default {["1.0", "1.1", "1.2"]}
   */
  versions?: readonly StompVersion[] | undefined;
  /**
   * The broker's heart-beat header: `[can send every, wants every]` in
   * milliseconds (RabbitMQ's smallest is 1000 too).
   *
   * @default {[1000, 1000]}
   */
  heartBeat?: HeartBeat | undefined;
  /**
   * How many heart-beat intervals a client may stay silent before the broker
   * drops it.
   *
   * @default {2}
   */
  heartBeatGrace?: number | undefined;
  /**
   * The `server` header of CONNECTED.
   *
   * @default {"stomper-test-broker"}
   */
  server?: string | undefined;
  /**
   * Whether every frame the broker writes ends with an EOL after its NUL
   * (`\0\n`), as RabbitMQ and ActiveMQ write them over TCP and WebSocket.
   * The STOMP specification lets EOLs follow a frame (a reader takes them as
   * heart-beats), and some frame readers need it: python3-stomper's
   * `StompBuffer` only completes a frame at `\0\n`. `false` ends each frame
   * at its NUL.
   *
   * @default {true}
   */
  eolAfterFrame?: boolean | undefined;
  /**
   * Whether a frame that asks a receipt gets its RECEIPT. `false` answers
   * DISCONNECT's only, as Spring's simple broker (`enableSimpleBroker`)
   * does: for testing a client against a server that confirms nothing (an
   * ERROR still names the receipt of the frame it refuses).
   *
   * @default {true}
   */
  receipts?: boolean | undefined;
  /**
   * The most bytes the broker holds for one connection, waiting to be
   * written, beyond the frame being written. A client that stops reading (a
   * topic subscriber, or a publisher that asks receipts it never reads)
   * would otherwise make the broker hold everything sent to it. Past the
   * limit the connection is a slow consumer: what waits is dropped, an ERROR
   * (`message:Slow consumer`, its body naming the limit) follows the frame
   * being written, and the connection closes once that is out; its
   * unacknowledged queue messages go back at once. Queue subscribers never
   * get there over TCP: a queue stops dispatching to a connection with 64 KiB
   * unwritten.
   *
   * @default {16777216}
   */
  maxUnwrittenBytes?: number | undefined;
  /**
   * Called with every frame received, before the broker acts on it: the
   * place for a test's assertions about what a client sent. What it throws
   * (a failed assertion), or the promise it returns rejects with, does not
   * reach the client: the broker handles the frame as usual, and {@linkcode StompTestBroker.close} (the end of an
   * `await using` block) rejects with the first error thrown.
   */
  onFrame?: ((frame: StompFrame, connection: string) => void) | undefined;
}

function noop(): void {}

/** Starts listening; a port in use is an error naming the address. */
function listen<T>(
  hostname: string,
  port: number,
  what: string,
  start: () => T,
): T {
  try {
    return start();
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    throw new Deno.errors.AddrInUse(
      `Cannot start test broker: ${hostname}:${port}${what} is in use`,
      { cause: error },
    );
  }
}

/** A destination the broker takes, or a TypeError saying what it got. */
function checkDestination(destination: unknown): string {
  if (typeof destination !== "string") {
    throw new TypeError(
      `Cannot count messages: destination must be a string, got ${
        typeName(destination)
      }`,
    );
  }
  if (!isQueue(destination) && !destination.startsWith("/topic/")) {
    throw new TypeError(
      `Cannot count messages: the test broker has no destination ${
        JSON.stringify(destination)
      } (it takes /queue/..., /temp-queue/... and /topic/...)`,
    );
  }
  return destination;
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
 *   whose socket does not drain; a connection that would hold more than
 *   {@linkcode StompTestBrokerOptions.maxUnwrittenBytes} unwritten (a topic
 *   subscriber that stopped reading) is ended as a slow consumer, with an
 *   ERROR.
 * - Receipts, transactions (BEGIN, SEND/ACK/NACK in a transaction, COMMIT,
 *   ABORT), heart-beats in both directions, version negotiation, optional
 *   login check.
 * - Frames written as RabbitMQ and ActiveMQ write them, an EOL after each
 *   NUL (see {@linkcode StompTestBrokerOptions.eolAfterFrame}); over
 *   WebSocket, one frame a message and the highest STOMP subprotocol offered
 *   (`v12.stomp`), whether the offer has spaces after its commas (browsers)
 *   or not (Node's `ws`). stompjs, stomp.py, ruby-stomp and python3-stomper
 *   are tested against it.
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
  readonly #options: SessionOptions;
  readonly #login: string | undefined;
  readonly #passcode: string | undefined;
  readonly #onFrame:
    | ((frame: StompFrame, connection: string) => void)
    | undefined;
  readonly #connections = new Set<BrokerSession>();
  readonly #store = new BrokerStore();
  readonly #tasks = new Set<Promise<void>>();
  readonly #sockets = new Set<WebSocket>();
  readonly #accepting: Promise<void>;
  #nextConnection = 1;
  #closed = false;
  #heartbeats = 0;
  /** What onFrame threw first, for close() to reject with. */
  #hookError: { error: unknown } | undefined;

  private constructor(options: StompTestBrokerOptions) {
    if (typeof (globalThis as { Deno?: unknown }).Deno === "undefined") {
      throw new TypeError(
        "Cannot start test broker: it runs on Deno only (it listens with Deno.listen), and this runtime has no Deno; under Node or Bun, start it in a Deno process (deno run) and connect to its url, or test against a broker of your own",
      );
    }
    refuseUnknownKeys(
      "Cannot start test broker: unknown option",
      options,
      OPTION_NAMES,
    );
    const hostname = options.hostname ?? "127.0.0.1";
    const versions = options.versions ?? VERSIONS;
    if (
      !Array.isArray(versions) || versions.length === 0 ||
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
    const maxUnwrittenBytes = options.maxUnwrittenBytes ?? 16 * 1024 * 1024;
    if (!Number.isSafeInteger(maxUnwrittenBytes) || maxUnwrittenBytes < 1) {
      throw new RangeError(
        `Cannot start test broker: maxUnwrittenBytes must be a positive integer, got ${maxUnwrittenBytes}`,
      );
    }
    const server = options.server ?? "stomper-test-broker";
    if (
      typeof server !== "string" || server === "" || /[\r\n\0]/.test(server)
    ) {
      throw new TypeError(
        `Cannot start test broker: server must be a non-empty string without CR, LF or NUL (CONNECTED's headers are never escaped), got ${
          server === ""
            ? "an empty string"
            : typeof server === "string"
            ? JSON.stringify(server)
            : typeName(server)
        }`,
      );
    }
    for (const name of ["login", "passcode"] as const) {
      const value: unknown = options[name];
      if (value !== undefined && typeof value !== "string") {
        // Never the value: it may be a password.
        throw new TypeError(
          `Cannot start test broker: ${name} must be a string, got ${
            typeName(value)
          }`,
        );
      }
    }
    for (const name of ["receipts", "eolAfterFrame"] as const) {
      const value: unknown = options[name];
      if (value !== undefined && typeof value !== "boolean") {
        throw new TypeError(
          `Cannot start test broker: ${name} must be a boolean, got ${
            typeName(value)
          }`,
        );
      }
    }
    if (
      options.onFrame !== undefined && typeof options.onFrame !== "function"
    ) {
      throw new TypeError(
        `Cannot start test broker: onFrame must be a function, got ${
          typeName(options.onFrame)
        }`,
      );
    }
    const webSocket: unknown = options.webSocket;
    if (
      webSocket !== undefined && typeof webSocket !== "boolean" &&
      (typeof webSocket !== "object" || webSocket === null ||
        Array.isArray(webSocket))
    ) {
      throw new TypeError(
        `Cannot start test broker: webSocket must be a boolean or { port, path }, got ${
          typeName(webSocket)
        }`,
      );
    }
    const path: unknown = typeof webSocket === "object"
      ? (webSocket as { path?: unknown }).path
      : undefined;
    if (
      path !== undefined && (typeof path !== "string" || !path.startsWith("/"))
    ) {
      throw new TypeError(
        `Cannot start test broker: webSocket.path must start with "/", got ${
          typeof path === "string" ? JSON.stringify(path) : typeName(path)
        }`,
      );
    }
    this.#options = {
      versions,
      heartBeat,
      heartBeatGrace: grace,
      server,
      eolAfterFrame: options.eolAfterFrame ?? true,
      receipts: options.receipts ?? true,
      maxUnwrittenBytes,
      timers: SYSTEM_TIMERS,
    };
    this.#login = options.login;
    this.#passcode = options.passcode;
    this.#onFrame = options.onFrame;
    this.#listener = listen(
      hostname,
      options.port ?? 0,
      "",
      () => Deno.listen({ hostname, port: options.port ?? 0 }),
    );
    const ws = options.webSocket;
    this.#webSocketPath = typeof ws === "object" ? ws.path ?? "/ws" : "/ws";
    if (ws !== undefined && ws !== false) {
      const port = typeof ws === "object" ? ws.port ?? 0 : 0;
      try {
        this.#server = listen(
          hostname,
          port,
          " (WebSocket)",
          () =>
            Deno.serve(
              { hostname, port, onListen: noop },
              (request) => this.#upgrade(request),
            ),
        );
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
    return `tcp://${this.#urlHost}:${this.port}`;
  }

  /** The hostname as a URL writes it: an IPv6 address in brackets. */
  get #urlHost(): string {
    return this.hostname.includes(":") ? `[${this.hostname}]` : this.hostname;
  }

  /** The broker's WebSocket URL, when the WebSocket is on. */
  get webSocketUrl(): string | undefined {
    if (this.#server === undefined) return undefined;
    return `ws://${this.#urlHost}:${this.#server.addr.port}${this.#webSocketPath}`;
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
   * A destination the broker does not take (`queue/a` without its slash)
   * or a topic, which keeps no messages, is a `TypeError` rather than a 0
   * that no assertion could tell from an empty queue.
   *
   * @param destination The queue, such as `/queue/a`.
   * @returns The number of messages.
   */
  depth(destination: string): number {
    if (!isQueue(checkDestination(destination))) {
      throw new TypeError(
        `Cannot count messages: ${
          JSON.stringify(destination)
        } is a topic, which keeps no messages (unacknowledged() counts its deliveries)`,
      );
    }
    return this.#store.depth(destination);
  }

  /**
   * The messages of a destination delivered and not yet acknowledged.
   *
   * A destination the broker does not take is a `TypeError`.
   *
   * @param destination The queue or topic.
   * @returns The number of messages.
   */
  unacknowledged(destination: string): number {
    return this.#store.unacknowledged(checkDestination(destination));
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
   * once everything is released; rejects then with the first error
   * {@linkcode StompTestBrokerOptions.onFrame} threw, if it threw.
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
    if (this.#hookError !== undefined) throw this.#hookError.error;
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
    const wire = new TcpWire(conn);
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
      await wire.idle();
      wire.close();
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
    const protocol = chooseSubprotocol(
      request.headers.get("sec-websocket-protocol"),
      this.#options.versions,
    );
    // Deno.upgradeWebSocket({ protocol }) looks the protocol up in the offer
    // split at ", " only, and throws for an offer without spaces (Node's
    // `ws` sends "v10.stomp,v11.stomp"): the answer's header is set here.
    const { socket, response } = Deno.upgradeWebSocket(request);
    if (protocol !== undefined) {
      response.headers.set("sec-websocket-protocol", protocol);
    }
    socket.binaryType = "arraybuffer";
    const done = Promise.withResolvers<void>();
    this.#track(done.promise);
    this.#sockets.add(socket);
    let connection: BrokerSession | undefined;
    const encoder = new TextEncoder();
    socket.onopen = () => {
      connection = this.#open({
        write(bytes) {
          if (bytes.length > 0 && socket.readyState === WebSocket.OPEN) {
            socket.send(bytes);
          }
          return Promise.resolve();
        },
        buffered: () => socket.bufferedAmount,
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

  #open(wire: Wire): BrokerSession {
    const connection = new BrokerSession(
      `c${this.#nextConnection++}`,
      wire,
      this.#options,
      this.#host,
      this.#store,
    );
    this.#connections.add(connection);
    return connection;
  }

  // What a session calls back into. Built once, with closures over the
  // broker's private state.
  readonly #host: SessionHost = {
    authenticate: (login, passcode) =>
      (this.#login === undefined && this.#passcode === undefined) ||
      (login === this.#login && passcode === this.#passcode),
    frame: (frame, session) => {
      const failed = (error: unknown) => this.#hookError ??= { error };
      try {
        // An async hook's rejection counts as a throw, never as unhandled.
        const result: unknown = this.#onFrame?.(frame, session.id);
        if (result instanceof Promise) result.catch(failed);
      } catch (error) {
        failed(error);
      }
    },
    heartbeat: () => this.#heartbeats++,
    closed: (session) => this.#connections.delete(session),
  };
}
