// The raw STOMP peer every test drives by hand: the codec and a transport
// only (no client), on either side of a connection (a client of the test
// broker or of a real broker, over TCP, TLS or WebSocket; or the server end
// of a scripted server), reading frames eagerly and with timeouts, so that
// no test can hang.

import { assertEquals, AssertionError } from "@std/assert";
import {
  connect,
  type ConnectOptions,
  encodeFrame,
  type Heartbeat,
  StompDecoder,
  type StompFrame,
  type StompFrameLike,
  type StompVersion,
} from "@stomper/stomp";
import type { StompTestBroker } from "@stomper/stomp/testing";
import {
  fromConn,
  openTransport,
  type OpenTransportOptions,
  type StompTransport,
} from "@stomper/stomp/transports";
import { within } from "./_helpers.ts";

/** How a connection ended: normally, or with an error. */
export type Ending = { error?: undefined } | { error: unknown };

/** Options of {@linkcode RawPeer.open}. */
export interface RawPeerOptions extends OpenTransportOptions {
  /**
   * Names the other side in failure messages, e.g. "RabbitMQ over TCP".
   *
   * @default {"the peer"}
   */
  name?: string;
}

function describe(frame: StompFrame): string {
  return `${frame.command} ${JSON.stringify(frame.headers.toObject())} ${
    frame.text.slice(0, 200)
  }`;
}

/**
 * One STOMP connection driven by hand: frames are encoded with
 * `encodeFrame` and written to a transport; what arrives is decoded as soon
 * as it comes (heart-beats are timed, the end is noticed without a read) and
 * kept until a test takes it.
 *
 * @example A client of the test broker
 * ```ts
 * import { RawPeer } from "./_peer.ts";
 * import { send } from "@stomper/stomp";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen();
 * await using peer = await RawPeer.connected(broker);
 * await peer.send(send("/queue/a", "hi", { receipt: "r" }));
 * assertEquals((await peer.expect("RECEIPT")).headers.get("receipt-id"), "r");
 * assertEquals(await peer.quiet(50), true);
 * ```
 */
export class RawPeer implements AsyncDisposable {
  /** The connection. */
  readonly transport: StompTransport;
  /** When each heart-beat arrived (`performance.now()`). */
  readonly heartbeatTimes: number[] = [];
  /** The CONNECTED frame, once {@linkcode RawPeer.handshake} got one. */
  connected: StompFrame | undefined;
  /** The version frames are encoded with (the negotiated one after a handshake). */
  version: StompVersion = "1.2";
  readonly #name: string;
  readonly #decoder: StompDecoder;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #frames: StompFrame[] = [];
  readonly #reading: Promise<void>;
  #ending: Ending | undefined;
  #waiter: (() => void) | undefined;

  /**
   * Starts reading `transport` at once.
   *
   * @param transport The connection.
   * @param name The other side, for failure messages.
   */
  constructor(transport: StompTransport, name = "the peer") {
    this.transport = transport;
    this.#name = name;
    this.#decoder = new StompDecoder({
      onHeartbeat: () => this.heartbeatTimes.push(performance.now()),
    });
    this.#writer = transport.writable.getWriter();
    // Failures show up through sends and the ending; never unhandled.
    this.#writer.closed.catch(() => {});
    this.#reading = this.#read();
  }

  /** Wraps a TCP connection (either end), with Nagle's delay off. */
  static fromConn(conn: Deno.TcpConn, name?: string): RawPeer {
    conn.setNoDelay(true);
    return new RawPeer(fromConn(conn), name);
  }

  /**
   * Opens a connection, without a handshake: to a port of 127.0.0.1, or to
   * a URL through `openTransport`.
   */
  static async open(
    to: number | string,
    options: RawPeerOptions = {},
  ): Promise<RawPeer> {
    const { name, ...transport } = options;
    if (typeof to === "number") {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: to });
      return RawPeer.fromConn(conn, name);
    }
    return new RawPeer(await openTransport(to, transport), name);
  }

  /** Opens a connection to the test broker and completes CONNECT / CONNECTED. */
  static async connected(
    broker: StompTestBroker,
    headers: Record<string, string> = {},
    version: StompVersion = "1.2",
  ): Promise<RawPeer> {
    const peer = await RawPeer.open(broker.port, { name: "the test broker" });
    try {
      const frame = await peer.handshake({
        host: "/",
        acceptVersion: [version],
        heartBeat: [0, 0],
        headers,
      });
      assertEquals(frame.command, "CONNECTED", frame.text);
    } catch (error) {
      await peer[Symbol.asyncDispose]();
      throw error;
    }
    return peer;
  }

  /** Heart-beats received so far. */
  get heartbeats(): number {
    return this.heartbeatTimes.length;
  }

  /** Whether the connection has ended (the other side closed, or it failed). */
  get ended(): boolean {
    return this.#ending !== undefined;
  }

  /**
   * Sends CONNECT and returns the first frame back; on CONNECTED, encodes
   * what follows with the negotiated version.
   */
  async handshake(options: ConnectOptions): Promise<StompFrame> {
    await this.send(connect(options));
    const reply = await this.next(5000, "the reply to CONNECT");
    if (reply.command === "CONNECTED") {
      this.connected = reply;
      this.version = (reply.headers.get("version") ?? "1.0") as StompVersion;
    }
    return reply;
  }

  /** Writes a frame (encoded with `version`), a heart-beat, or raw bytes as one chunk. */
  async send(frame: StompFrameLike | Heartbeat | Uint8Array): Promise<void> {
    await this.#writer.write(
      frame instanceof Uint8Array
        ? frame
        : encodeFrame(frame, { version: this.version }),
    );
  }

  /** The next frame; fails after `timeout` ms or if the connection ends first. */
  async next(timeout = 5000, what = "a frame"): Promise<StompFrame> {
    const deadline = Date.now() + timeout;
    while (this.#frames.length === 0) {
      if (this.#ending !== undefined) {
        throw new AssertionError(
          `Connection to ${this.#name} ended while waiting for ${what}${
            this.#ending.error === undefined
              ? ""
              : ` (${String(this.#ending.error)})`
          }`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new AssertionError(
          `No frame from ${this.#name} within ${timeout} ms while waiting for ${what}`,
        );
      }
      await this.#wait(left);
    }
    return this.#frames.shift()!;
  }

  /** The next frame, which must have this command (anything else is shown). */
  async expect(command: string, timeout = 5000): Promise<StompFrame> {
    const frame = await this.next(timeout, `a ${command} frame`);
    if (frame.command !== command) {
      throw new AssertionError(
        `Expected ${command} from ${this.#name}, got ${describe(frame)}`,
      );
    }
    return frame;
  }

  /** The next `count` frames, in whatever order they come. */
  async take(count: number, timeout = 5000): Promise<StompFrame[]> {
    const frames: StompFrame[] = [];
    while (frames.length < count) frames.push(await this.next(timeout));
    return frames;
  }

  /**
   * Whether neither a frame nor the end comes within `ms`; a frame that
   * came is left for `next`.
   */
  async quiet(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.#frames.length === 0 && this.#ending === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) return true;
      await this.#wait(left);
    }
    return false;
  }

  /** Asserts that neither a frame nor the end comes within `ms`. */
  async expectNothing(ms: number): Promise<void> {
    if (await this.quiet(ms)) return;
    const frame = this.#frames[0];
    throw new AssertionError(
      frame === undefined
        ? `Expected no frame from ${this.#name}, but the connection ended`
        : `Expected no frame from ${this.#name} within ${ms} ms, got ${
          describe(frame)
        }`,
    );
  }

  /** Waits for the connection to end, and says how; fails after `timeout` ms. */
  async end(timeout = 5000): Promise<Ending> {
    const deadline = Date.now() + timeout;
    while (this.#ending === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new AssertionError(
          `Connection to ${this.#name} still open after ${timeout} ms`,
        );
      }
      await this.#wait(left);
    }
    return this.#ending;
  }

  /** Closes the connection at once. */
  close(): void {
    this.transport.close();
  }

  /** Closes the connection and waits until reading has stopped. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await within(
      this.#reading,
      5000,
      `closing the connection to ${this.#name}`,
    );
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve();
      }, ms);
      this.#waiter = () => {
        clearTimeout(timer);
        this.#waiter = undefined;
        resolve();
      };
    });
  }

  async #read(): Promise<void> {
    const reader = this.transport.readable.getReader();
    let ending: Ending = {};
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) {
          // Input that ends inside a frame is an error, as for the client.
          this.#decoder.end();
          break;
        }
        this.#decoder.decode(value, (frame) => {
          this.#frames.push(frame);
          if (frame.command === "CONNECTED") {
            this.#decoder.version =
              (frame.headers.get("version") ?? "1.0") as StompVersion;
          }
        });
        this.#waiter?.();
      }
    } catch (error) {
      ending = { error };
    }
    this.#ending = ending;
    this.#waiter?.();
  }
}

/** A one-connection STOMP server whose behaviour a test writes. */
export interface ScriptedServer extends AsyncDisposable {
  readonly port: number;
  readonly url: string;
  /** Settles when the script has run (rejects if it threw). */
  readonly done: Promise<void>;
}

/**
 * Listens on a loopback port and runs `script` with the first connection.
 * The connection is closed when the script returns.
 */
export function scriptedServer(
  script: (peer: RawPeer) => Promise<void>,
): ScriptedServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    await using peer = RawPeer.fromConn(conn, "the client");
    await script(peer);
  })();
  done.catch(() => {});
  return {
    port,
    url: `tcp://127.0.0.1:${port}`,
    done,
    async [Symbol.asyncDispose]() {
      try {
        listener.close();
      } catch {
        // Closed after the first connection.
      }
      await done.catch(() => {});
    },
  };
}

// tests/cli_test.ts and tests/integration/cli_signals_test.ts still import
// these from here; every other test imports them from _helpers.ts.
