// Shared by the codec_*_test.ts files: the brokers' addresses, and a raw STOMP
// session made of the codec and a transport only (no client), which reads
// frames with timeouts so that no test can hang.

import { assert, assertEquals, AssertionError } from "@std/assert";
import { within } from "../_helpers.ts";
import {
  connect,
  type ConnectOptions,
  encodeFrame,
  type Heartbeat,
  StompDecoderStream,
  type StompFrame,
  type StompFrameLike,
  type StompVersion,
} from "@stomper/stomp";
import {
  openTransport,
  type OpenTransportOptions,
  type StompTransport,
} from "@stomper/stomp/transports";

function env(name: string, fallback: string): string {
  return Deno.env.get(name) || fallback;
}

/** The broker addresses, from `scripts/brokers.sh env` or its defaults. */
export const BROKERS = {
  rabbitmqTcp: env("STOMPER_RABBITMQ_TCP", "tcp://127.0.0.1:61613"),
  rabbitmqTls: env("STOMPER_RABBITMQ_TLS", "tls://localhost:61614"),
  rabbitmqWs: env("STOMPER_RABBITMQ_WS", "ws://127.0.0.1:15674/ws"),
  rabbitmqWsText: env("STOMPER_RABBITMQ_WS_TEXT", "ws://127.0.0.1:15675/ws"),
  activemqTcp: env("STOMPER_ACTIVEMQ_TCP", "tcp://127.0.0.1:61623"),
  tlsCa: env("STOMPER_TLS_CA", "/tmp/stomper-brokers/ca.pem"),
  tlsWrongCa: env("STOMPER_TLS_WRONG_CA", "/tmp/stomper-brokers/wrong-ca.pem"),
} as const;

/** How to start what the integration tests need. */
export const START_HINT =
  "start the brokers with `scripts/brokers.sh start` (as root; " +
  "`scripts/brokers.sh install` first on a fresh machine)";

/** Reads a PEM file the broker script wrote, failing with the start hint. */
export async function readPem(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `Cannot read ${path} (${(error as Error).message}): ${START_HINT}`,
    );
  }
}

/** A broker reached over one transport. */
export interface Target {
  /** For test names, e.g. "RabbitMQ over TCP". */
  readonly name: string;
  /** The transport function the tests exercise, for test names. */
  readonly symbol: string;
  readonly broker: "rabbitmq" | "activemq";
  readonly url: string;
  /** WebSocket targets deliver whole frames per message and close instead of answering DISCONNECT. */
  readonly websocket: boolean;
  /** RabbitMQ Web-STOMP in text mode: bodies must be UTF-8. */
  readonly textFrames?: boolean;
  /** Options for openTransport (a CA, a message type); may read files. */
  options(): Promise<OpenTransportOptions>;
}

export const TARGETS = {
  rabbitmqTcp: {
    name: "RabbitMQ over TCP",
    symbol: "connectTcp",
    broker: "rabbitmq",
    url: BROKERS.rabbitmqTcp,
    websocket: false,
    options: () => Promise.resolve({}),
  },
  rabbitmqTls: {
    name: "RabbitMQ over TLS",
    symbol: "connectTcp",
    broker: "rabbitmq",
    url: BROKERS.rabbitmqTls,
    websocket: false,
    options: async () => ({ caCerts: [await readPem(BROKERS.tlsCa)] }),
  },
  rabbitmqWs: {
    name: "RabbitMQ Web-STOMP (binary)",
    symbol: "connectWebSocket",
    broker: "rabbitmq",
    url: BROKERS.rabbitmqWs,
    websocket: true,
    options: () => Promise.resolve({}),
  },
  rabbitmqWsText: {
    name: "RabbitMQ Web-STOMP (text)",
    symbol: "connectWebSocket",
    broker: "rabbitmq",
    url: BROKERS.rabbitmqWsText,
    websocket: true,
    textFrames: true,
    options: () => Promise.resolve({ messageType: "text" as const }),
  },
  activemqTcp: {
    name: "ActiveMQ over TCP",
    symbol: "connectTcp",
    broker: "activemq",
    url: BROKERS.activemqTcp,
    websocket: false,
    options: () => Promise.resolve({}),
  },
} as const satisfies Record<string, Target>;

/** Fails with the start hint unless something listens at the URL's port. */
export async function assertReachable(
  url: string,
  name: string,
): Promise<void> {
  const { hostname, port } = new URL(url);
  try {
    (await Deno.connect({ hostname, port: Number(port) })).close();
  } catch (error) {
    throw new Error(
      `${name} at ${url} is not reachable (${
        (error as Error).message
      }): ${START_HINT}`,
    );
  }
}

/** Options of {@linkcode RawSession.open}. */
export interface SessionOptions extends Partial<ConnectOptions> {
  /** Send CONNECT and wait for CONNECTED. @default true */
  handshake?: boolean;
  /** Extra transport options (override the target's). */
  transport?: OpenTransportOptions;
  /** Connect to this URL instead of the target's (a relay). */
  url?: string;
}

type ReadResult = ReadableStreamReadResult<StompFrame>;

/** How a stream ended: normally, or with an error. */
export type Ending = { error?: undefined } | { error: unknown };

/**
 * One STOMP connection driven by hand: frames are encoded with encodeFrame
 * and written to the transport, and read back through a StompDecoderStream.
 */
export class RawSession implements AsyncDisposable {
  readonly transport: StompTransport;
  readonly target: Target;
  /** Times (performance.now) at which heart-beats arrived. */
  readonly heartbeats: number[] = [];
  /** The CONNECTED frame, after the handshake. */
  connected: StompFrame | undefined;
  version: StompVersion = "1.2";
  #decoder: StompDecoderStream;
  #reader: ReadableStreamDefaultReader<StompFrame>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  // A read that timed out stays pending and serves the next read.
  #pending: Promise<ReadResult> | undefined;
  #ending: Promise<Ending> | undefined;

  private constructor(target: Target, transport: StompTransport) {
    this.target = target;
    this.transport = transport;
    this.#decoder = new StompDecoderStream({
      onHeartbeat: () => this.heartbeats.push(performance.now()),
    });
    this.#reader = transport.readable.pipeThrough(this.#decoder).getReader();
    this.#writer = transport.writable.getWriter();
    // Failures show up through reads and writes; don't let them go unhandled.
    this.#writer.closed.catch(() => {});
  }

  /** Opens a transport to the target and, unless told not to, connects. */
  static async open(
    target: Target,
    options: SessionOptions = {},
  ): Promise<RawSession> {
    const url = options.url ?? target.url;
    let transport: StompTransport;
    try {
      transport = await openTransport(url, {
        timeout: 5000,
        ...await target.options(),
        ...options.transport,
      });
    } catch (error) {
      throw new Error(
        `${target.name} at ${url} is not reachable (${
          (error as Error).message
        }): ${START_HINT}`,
        { cause: error },
      );
    }
    const session = new RawSession(target, transport);
    if (options.handshake === false) return session;
    try {
      const reply = await session.handshake(options);
      if (reply.command !== "CONNECTED") {
        throw new AssertionError(
          `Expected CONNECTED from ${target.name}, got ${reply.command}: ${
            reply.headers.get("message") ?? reply.text
          }`,
        );
      }
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /**
   * Sends CONNECT (guest/guest, vhost "/" unless overridden) and returns the
   * first frame back; on CONNECTED, switches to the negotiated version.
   */
  async handshake(options: Partial<ConnectOptions> = {}): Promise<StompFrame> {
    const frame = connect({
      host: "/",
      login: "guest",
      passcode: "guest",
      ...options,
    });
    await this.send(frame);
    const reply = await this.read(5000, "the reply to CONNECT");
    if (reply.command === "CONNECTED") {
      this.connected = reply;
      this.version = (reply.headers.get("version") ?? "1.0") as StompVersion;
      this.#decoder.version = this.version;
    }
    return reply;
  }

  /** Encodes a frame with the session's version and writes it. */
  async send(frame: StompFrameLike | Heartbeat): Promise<void> {
    await this.#writer.write(encodeFrame(frame, { version: this.version }));
  }

  /** Writes raw bytes as one chunk. */
  async sendRaw(bytes: Uint8Array): Promise<void> {
    await this.#writer.write(bytes);
  }

  #next(): Promise<ReadResult> {
    this.#pending ??= this.#reader.read();
    return this.#pending;
  }

  /** The next frame; fails on timeout or when the connection ends. */
  async read(ms = 5000, what = "a frame"): Promise<StompFrame> {
    const result = await within(this.#next(), ms, `waiting for ${what}`);
    this.#pending = undefined;
    if (result.done) {
      throw new AssertionError(
        `Connection to ${this.target.name} ended while waiting for ${what}`,
      );
    }
    return result.value;
  }

  /** The next frame, which must have this command (an ERROR is shown). */
  async expect(command: string, ms = 5000): Promise<StompFrame> {
    const frame = await this.read(ms, `a ${command} frame`);
    if (frame.command !== command) {
      throw new AssertionError(
        `Expected ${command} from ${this.target.name}, got ${frame.command} ${
          JSON.stringify(frame.headers.toObject())
        } ${frame.text.slice(0, 200)}`,
      );
    }
    return frame;
  }

  /** Reads `count` frames, in whatever order they come. */
  async readFrames(count: number, ms = 5000): Promise<StompFrame[]> {
    const frames: StompFrame[] = [];
    while (frames.length < count) frames.push(await this.read(ms));
    return frames;
  }

  /** Asserts no frame arrives within `ms` (the read stays pending for later). */
  async expectNothing(ms: number): Promise<void> {
    const none = Symbol("none");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      this.#next(),
      new Promise<typeof none>((resolve) =>
        timer = setTimeout(() => resolve(none), ms)
      ),
    ]);
    clearTimeout(timer);
    if (result === none) return;
    this.#pending = undefined;
    throw new AssertionError(
      result.done
        ? `Expected no frame, but the connection ended`
        : `Expected no frame within ${ms} ms, got ${result.value.command} ${
          JSON.stringify(result.value.headers.toObject())
        } ${result.value.text.slice(0, 200)}`,
    );
  }

  /** Waits for the frame stream to end, and says how it ended. */
  end(ms = 5000): Promise<Ending> {
    this.#ending ??= (async () => {
      try {
        while (true) {
          const result = await this.#next();
          this.#pending = undefined;
          if (result.done) return {};
        }
      } catch (error) {
        return { error };
      }
    })();
    return within(
      this.#ending,
      ms,
      `the connection to ${this.target.name} ending`,
    );
  }

  /** Closes the transport and waits until it has gone. */
  async close(): Promise<void> {
    this.transport.close();
    await this.end(5000);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Asserts that a MESSAGE carries these bytes (compared whole, reported briefly). */
export function assertBody(frame: StompFrame, expected: Uint8Array): void {
  assertEquals(frame.command, "MESSAGE");
  assertEquals(frame.body.length, expected.length, "body length");
  const at = frame.body.findIndex((byte, i) => byte !== expected[i]);
  assert(at === -1, `bodies differ first at byte ${at}`);
}
