// Shared by the codec_*_test.ts files: the brokers' addresses, the targets
// (a broker over one transport), and a raw STOMP session with one of them
// (a RawPeer from ../_peer.ts, logged in as guest).

import { assert, assertEquals, AssertionError } from "@std/assert";
import type { ConnectOptions, StompFrame } from "@stomper/stomp";
import type { OpenTransportOptions } from "@stomper/stomp/transports";
import { RawPeer } from "../_peer.ts";

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

/** The CONNECT options a session logs in with unless told otherwise. */
export const GUEST = { host: "/", login: "guest", passcode: "guest" } as const;

/** Options of {@linkcode openSession}. */
export interface SessionOptions extends Partial<ConnectOptions> {
  /** Send CONNECT and wait for CONNECTED. @default true */
  handshake?: boolean;
  /** Extra transport options (override the target's). */
  transport?: OpenTransportOptions;
  /** Connect to this URL instead of the target's (a relay). */
  url?: string;
}

/**
 * A raw STOMP session with a broker: opens a transport to the target and,
 * unless told not to, connects as guest (failing with the start hint when
 * the broker cannot be reached).
 */
export async function openSession(
  target: Target,
  options: SessionOptions = {},
): Promise<RawPeer> {
  const { handshake, transport, url: relayed, ...connectOptions } = options;
  const url = relayed ?? target.url;
  let session: RawPeer;
  try {
    session = await RawPeer.open(url, {
      timeout: 5000,
      ...await target.options(),
      ...transport,
      name: target.name,
    });
  } catch (error) {
    throw new Error(
      `${target.name} at ${url} is not reachable (${
        (error as Error).message
      }): ${START_HINT}`,
      { cause: error },
    );
  }
  if (handshake === false) return session;
  try {
    const reply = await session.handshake({ ...GUEST, ...connectOptions });
    if (reply.command !== "CONNECTED") {
      throw new AssertionError(
        `Expected CONNECTED from ${target.name}, got ${reply.command}: ${
          reply.headers.get("message") ?? reply.text
        }`,
      );
    }
  } catch (error) {
    await session[Symbol.asyncDispose]();
    throw error;
  }
  return session;
}

/** Asserts that a MESSAGE carries these bytes (compared whole, reported briefly). */
export function assertBody(frame: StompFrame, expected: Uint8Array): void {
  assertEquals(frame.command, "MESSAGE");
  assertEquals(frame.body.length, expected.length, "body length");
  const at = frame.body.findIndex((byte, i) => byte !== expected[i]);
  assert(at === -1, `bodies differ first at byte ${at}`);
}
