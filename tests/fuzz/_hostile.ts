/**
 * The hostile server of the client fuzz (`deno task fuzz:client`): a real
 * TCP listener on 127.0.0.1 that answers each connection of a client with a
 * seeded, random script. It reads the client's frames and answers them,
 * validly most of the time (CONNECTED, RECEIPT, MESSAGE, replies to
 * requests), and otherwise with what a broken or hostile server sends:
 * ERROR frames (with multi-line reasons), a second CONNECTED, malformed and
 * truncated frames, huge and odd header values (heart-beat 4294967297,
 * content-length huge, negative or garbage, very long or many headers, NULs,
 * bad escapes), the decoder fuzz's inputs; its writes are split and joined
 * at random (whole, joined, byte by byte, random splits), and it closes or
 * goes silent at random points.
 *
 * Connection `n` of a session draws from its own PRNG, seeded from the
 * session's seed and `n`, so that a replayed session makes the same
 * decisions in the same order (the client's timing can still differ).
 *
 * @module
 */

import { concat } from "@std/bytes";
import { StompDecoder, type StompFrame } from "../../mod.ts";
import { prng } from "../_helpers.ts";
import { generateInput, inputSeed } from "./_fuzz.ts";

/** How a connection answers CONNECT. */
export type HandshakeKind =
  | "ok"
  | "ok+tail"
  | "odd"
  | "error"
  | "garbage"
  | "silent"
  | "close"
  | "truncated";

/** What follows CONNECTED in the same write, for `ok+tail`. */
export type TailKind =
  | "error"
  | "connected"
  | "garbage"
  | "message"
  | "receipt"
  | "heartbeats"
  | "truncated";

/** How a connection cuts its writes. */
export type WriteStyle = "whole" | "joined" | "bytewise" | "splits";

/** What a connection does at its fate. */
export type FateKind = "close" | "silence" | "error" | "garbage" | "half-close";

/** What one connection did: what the rules of the fuzz check against. */
export interface ConnectionLog {
  /** From 1, in the order accepted. */
  readonly number: number;
  readonly style: WriteStyle;
  handshake: HandshakeKind | undefined;
  tail: TailKind | undefined;
  /** The `message` header of the ERROR of an `error` handshake or tail. */
  errorMessage: string | undefined;
  /** CONNECTED and its tail were given to one write (one chunk). */
  oneWrite: boolean;
  /** Bytes of CONNECTED and its tail: all went out when `bytesSent` has them. */
  handshakeBytes: number;
  /** Frames received from the client, by command. */
  received: string[];
  /** Hostile frames sent, by kind. */
  hostile: string[];
  bytesSent: number;
  /** How it ended, once it did. */
  fate: FateKind | "client" | "teardown" | undefined;
}

const encoder = new TextEncoder();
const MiB = 1024 * 1024;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function int(random: () => number, max: number): number {
  return Math.floor(random() * (max + 1));
}

/** Picks a key of `weights` with a probability in proportion to its weight. */
function weighted<K extends string>(
  random: () => number,
  weights: Readonly<Record<K, number>>,
): K {
  const entries = Object.entries(weights) as [K, number][];
  let total = 0;
  for (const [, w] of entries) total += w;
  let r = random() * total;
  for (const [key, w] of entries) {
    r -= w;
    if (r < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

/** A frame written by hand, so that it can be as wrong as wanted. */
function raw(
  command: string,
  headers: readonly (readonly [string, string])[],
  body: string | Uint8Array = "",
  eol = "\n",
): Uint8Array {
  let head = command + eol;
  for (const [name, value] of headers) head += `${name}:${value}${eol}`;
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  return concat([encoder.encode(head + eol), bytes, new Uint8Array(1)]);
}

const WORDS = [
  "shutdown",
  "connection_closing",
  "server_initiated_close",
  "320",
  '<<"maintenance window">>',
  "not_found",
  "no queue 'x' in vhost '/'",
  "access_refused",
  "précondition",
  "失败",
];

/** An ERROR reason over several lines, as RabbitMQ writes them. */
function reason(random: () => number): string {
  const lines: string[] = [];
  for (let i = 1 + int(random, 4); i > 0; i--) {
    let line = " ".repeat(int(random, 3)) + "{";
    for (let j = 1 + int(random, 3); j > 0; j--) {
      line += pick(random, WORDS) + (random() < 0.5 ? ", " : ",");
    }
    lines.push(line);
  }
  const text = "Reason: " + lines.join(pick(random, ["\n", "\r\n", "\n\n"]));
  return random() < 0.05 ? text + "x".repeat(5000) : text;
}

/** An ERROR frame; its `message` header is returned too. */
function errorFrame(
  random: () => number,
  extra: [string, string][] = [],
): { bytes: Uint8Array; message: string } {
  const message = pick(random, [
    "AMQP channel died",
    "Bad CONNECT",
    "Access refused",
    "maintenance",
    "Processing error",
  ]) + ` ${int(random, 999)}`;
  const body = random() < 0.85 ? reason(random) : "";
  const headers: [string, string][] = [
    ["message", message],
    ["content-type", "text/plain"],
    ...extra,
  ];
  if (random() < 0.5) {
    headers.push(["content-length", String(encoder.encode(body).length)]);
  }
  return { bytes: raw("ERROR", headers, body), message };
}

/** A subscription the client made, as the server saw it. */
interface ServerSubscription {
  readonly id: string;
  readonly destination: string;
  readonly ack: string;
}

/** Options of {@linkcode HostileServer.listen}. */
export interface HostileServerOptions {
  /** The session's seed (from the run's seed and the session's index). */
  readonly seed: number;
  /**
   * How often a connection misbehaves, from 0 (a valid server) to 1.
   *
   * @default {1}
   */
  readonly hostility?: number;
}

/**
 * A listener on 127.0.0.1 that gives every connection a hostile script.
 *
 * @example A session's server
 * ```ts
 * import { HostileServer } from "./_hostile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const server = HostileServer.listen({ seed: 1 });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
 * await conn.write(new TextEncoder().encode("CONNECT\naccept-version:1.2\n\n\0"));
 * conn.close();
 * await server.close();
 * assertEquals(server.connections.length, 1);
 * ```
 */
export class HostileServer {
  /** Every connection accepted so far. */
  readonly connections: ConnectionLog[] = [];
  /** What the server's own code threw: a fault of the fuzz, not the client. */
  readonly errors: unknown[] = [];
  readonly #listener: Deno.TcpListener;
  readonly #seed: number;
  readonly #hostility: number;
  readonly #live = new Set<HostileConnection>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #closed = false;

  private constructor(options: HostileServerOptions) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#seed = options.seed;
    this.#hostility = options.hostility ?? 1;
    this.#accepting = this.#accept();
  }

  /**
   * Listens on a free port of 127.0.0.1.
   *
   * @param options The session's seed and hostility.
   * @returns The server.
   */
  static listen(options: HostileServerOptions): HostileServer {
    return new HostileServer(options);
  }

  /** The port. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** The URL for `StompClient.connectUrl`. */
  get url(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** Bytes written to every connection so far. */
  get bytesSent(): number {
    let total = 0;
    for (const log of this.connections) total += log.bytesSent;
    return total;
  }

  /** Stops listening, closes every connection and waits for their tasks. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
    }
    for (const connection of this.#live) connection.teardown();
    await this.#accepting;
    await Promise.all(this.#tasks);
  }

  async #accept(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      const number = this.connections.length + 1;
      const random = prng(inputSeed(this.#seed, number));
      const connection = new HostileConnection(
        conn,
        number,
        random,
        this.#seed,
        this.#hostility,
      );
      this.connections.push(connection.log);
      this.#live.add(connection);
      const task = connection.run().catch((error) => {
        this.errors.push(error);
      }).finally(() => {
        this.#live.delete(connection);
        this.#tasks.delete(task);
      });
      this.#tasks.add(task);
    }
  }
}

/** The writing side of a connection: joins and splits what it is given. */
class Wire {
  readonly #conn: Deno.TcpConn;
  readonly #random: () => number;
  readonly #style: WriteStyle;
  readonly #log: ConnectionLog;
  #pending: Uint8Array[] = [];
  #chain: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** No more writes: closed, silenced, or the client went away. */
  stopped = false;

  constructor(
    conn: Deno.TcpConn,
    random: () => number,
    style: WriteStyle,
    log: ConnectionLog,
  ) {
    this.#conn = conn;
    this.#random = random;
    this.#style = style;
    this.#log = log;
  }

  /** Queues bytes; `alone` keeps them in one write of their own. */
  put(bytes: Uint8Array, alone = false): void {
    if (this.stopped) return;
    if (alone) {
      this.flush();
      this.#pending.push(bytes);
      this.flush();
      return;
    }
    this.#pending.push(bytes);
    if (this.#style !== "joined") this.flush();
    else if (this.#timer === undefined) {
      // Joined: what comes within a moment goes out as one write.
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, int(this.#random, 3));
    }
  }

  /** Writes what is queued, in the connection's style. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending.length === 0 || this.stopped) return;
    const data = concat(this.#pending);
    this.#pending = [];
    this.#chain = this.#chain.then(() => this.#write(data));
  }

  /** Settles once everything flushed so far is written (or failed). */
  drained(): Promise<void> {
    this.flush();
    return this.#chain;
  }

  /** Stops writing; what is queued is dropped. */
  stop(): void {
    this.stopped = true;
    this.#pending = [];
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  async #write(data: Uint8Array): Promise<void> {
    const style = this.#style;
    const whole = style === "whole" || style === "joined";
    // Byte by byte costs a write each: beyond a few KiB, small splits, and
    // never more than some 256 pieces of a large write.
    const max = whole
      ? data.length
      : style === "bytewise" && data.length <= 4096
      ? 1
      : pick(this.#random, [2, 7, 64, 1000]);
    const min = whole ? data.length : Math.max(1, data.length >> 8);
    for (let at = 0; at < data.length;) {
      if (this.stopped) return;
      const length = Math.max(min, 1 + int(this.#random, max - 1));
      const chunk = data.subarray(at, at + length);
      at += chunk.length;
      try {
        for (let done = 0; done < chunk.length;) {
          done += await this.#conn.write(chunk.subarray(done));
        }
      } catch {
        this.stopped = true;
        return;
      }
      this.#log.bytesSent += chunk.length;
      // A pause now and then, so that the client reads the pieces apart.
      if (!whole && this.#random() < 0.05) {
        await new Promise((resolve) =>
          setTimeout(resolve, int(this.#random, 2))
        );
      }
    }
  }
}

/** One accepted connection and its script. */
class HostileConnection {
  readonly log: ConnectionLog;
  readonly #conn: Deno.TcpConn;
  readonly #random: () => number;
  readonly #seed: number;
  readonly #hostility: number;
  readonly #wire: Wire;
  readonly #subscriptions = new Map<string, ServerSubscription>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Frames from the client until the fate strikes. */
  readonly #fateAfter: number;
  readonly #fate: FateKind;
  readonly #endedSignal = Promise.withResolvers<void>();
  #version = "1.2";
  #messages = 0;
  #connected = false;
  #ended = false;
  #silent = false;

  constructor(
    conn: Deno.TcpConn,
    number: number,
    random: () => number,
    seed: number,
    hostility: number,
  ) {
    this.#conn = conn;
    this.#random = random;
    this.#seed = seed;
    this.#hostility = hostility;
    const style = weighted(random, {
      whole: 4,
      joined: 3,
      bytewise: 1,
      splits: 2,
    });
    this.log = {
      number,
      style,
      handshake: undefined,
      tail: undefined,
      errorMessage: undefined,
      oneWrite: false,
      handshakeBytes: 0,
      received: [],
      hostile: [],
      bytesSent: 0,
      fate: undefined,
    };
    // The wire draws from a PRNG of its own: its draws happen on timers.
    this.#wire = new Wire(
      conn,
      prng(inputSeed(seed ^ 0x5f3759df, number)),
      style,
      this.log,
    );
    const fated = random() < hostility * 0.5;
    this.#fateAfter = fated ? 1 + int(random, 8) : Infinity;
    this.#fate = weighted(random, {
      close: 4,
      silence: 2,
      error: 2,
      garbage: 1,
      "half-close": 1,
    });
    if (fated && random() < 0.3) {
      // Some fates strike at a time rather than after a frame.
      this.#later(int(random, 60), () => this.#strike());
    }
  }

  /** Reads and answers until the connection ends. */
  async run(): Promise<void> {
    // The client's frames are valid; anything else is skipped.
    const decoder = new StompDecoder({ resync: true, onError: () => {} });
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (!this.#ended && !this.#silent) {
        let n: number | null;
        try {
          n = await this.#conn.read(buffer);
        } catch {
          break;
        }
        if (n === null) break;
        const frames: StompFrame[] = [];
        try {
          decoder.decode(buffer.subarray(0, n), (frame) => frames.push(frame));
        } catch {
          // The client sent what a server cannot read: end it.
          break;
        }
        for (const frame of frames) {
          if (this.#ended || this.#silent) break;
          this.#answer(frame);
        }
      }
      if (!this.#silent) {
        await this.#wire.drained();
        this.#end("client");
      } else {
        // Silent: keep the socket open (unread) until teardown.
        await this.#endedSignal.promise;
      }
    } finally {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      this.#end("teardown");
    }
  }

  /** Closes the connection at once (the session is over). */
  teardown(): void {
    this.#end("teardown");
  }

  #end(fate: ConnectionLog["fate"]): void {
    if (this.#ended) return;
    this.#ended = true;
    this.log.fate ??= fate;
    this.#wire.stop();
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    this.#endedSignal.resolve();
  }

  #later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#ended) action();
    }, ms);
    this.#timers.add(timer);
  }

  /** Whether to misbehave this time, at a base rate `p` (0 to 1). */
  #hostile(p: number): boolean {
    return this.#random() < p * this.#hostility;
  }

  #answer(frame: StompFrame): void {
    this.log.received.push(frame.command);
    switch (frame.command) {
      case "CONNECT":
      case "STOMP":
        this.#handshake();
        break;
      case "SUBSCRIBE":
        this.#subscribe(frame);
        break;
      case "SEND":
        this.#send(frame);
        break;
      case "DISCONNECT":
        this.#disconnect(frame);
        return;
      default:
        this.#receipt(frame);
    }
    if (this.#connected && this.#hostile(0.15)) this.#putHostile();
    if (this.log.received.length >= this.#fateAfter) this.#strike();
  }

  #handshake(): void {
    const random = this.#random;
    if (this.#connected) {
      // A second CONNECT: a server may well answer with an ERROR.
      this.#wire.put(errorFrame(random).bytes);
      return;
    }
    const kind: HandshakeKind = this.#hostile(0.6)
      ? weighted(random, {
        ok: 3,
        "ok+tail": 5,
        odd: 5,
        error: 3,
        garbage: 2,
        silent: 1,
        close: 1,
        truncated: 1,
      })
      : "ok";
    this.log.handshake = kind;
    const connected = this.#connectedFrame(kind === "odd");
    switch (kind) {
      case "ok":
      case "odd":
        this.#connected = true;
        this.#wire.put(connected);
        return;
      case "ok+tail": {
        this.#connected = true;
        const tail = weighted<TailKind>(random, {
          error: 4,
          connected: 2,
          garbage: 2,
          message: 1,
          receipt: 1,
          heartbeats: 1,
          truncated: 1,
        });
        this.log.tail = tail;
        const bytes = this.#tail(tail);
        this.log.oneWrite = this.log.style === "whole" ||
          this.log.style === "joined";
        const both = concat([connected, bytes]);
        this.log.handshakeBytes = both.length;
        this.#wire.put(both, true);
        if (tail === "error") this.#afterError();
        return;
      }
      case "error": {
        const error = errorFrame(random);
        this.log.errorMessage = error.message;
        this.#wire.put(error.bytes);
        this.#afterError();
        return;
      }
      case "garbage":
        this.#wire.put(this.#garbage());
        if (random() < 0.5) this.#afterError();
        return;
      case "silent":
        this.#silence();
        return;
      case "close":
        this.#end("close");
        return;
      case "truncated":
        this.#wire.put(
          connected.subarray(0, int(random, connected.length - 1)),
        );
        if (random() < 0.5) this.#afterError();
        else this.#silence();
        return;
    }
  }

  /** After an ERROR a server closes, soon or not at all. */
  #afterError(): void {
    const random = this.#random;
    if (random() < 0.7) {
      const wait = int(random, 5);
      this.#later(
        wait,
        () => this.#wire.drained().then(() => this.#end("error")),
      );
    }
  }

  #connectedFrame(odd: boolean): Uint8Array {
    const random = this.#random;
    this.#version = pick(random, ["1.2", "1.2", "1.2", "1.1", "1.0"]);
    const headers: [string, string][] = [
      ["version", this.#version],
      ["heart-beat", pick(random, ["0,0", "0,0", "10,10", "0,20"])],
      ["server", pick(random, ["RabbitMQ/3.10.7", "ActiveMQ/5.17.0", "x"])],
      ["session", `s-${int(random, 1e6)}`],
    ];
    if (odd) {
      for (let i = 1 + int(random, 2); i > 0; i--) {
        const oddity = pick(random, [
          () =>
            headers[0] = [
              "version",
              pick(random, ["2.0", "", "1.2,1.1", "1.2 "]),
            ],
          () => headers.splice(0, 1),
          () =>
            headers[1] = [
              "heart-beat",
              pick(random, [
                "4294967297,4294967297",
                "3000000000,0",
                "abc",
                "-1,5",
                "1,1",
                "5",
                "",
                "0,99999999999999999999",
              ]),
            ],
          () =>
            headers.push(["server", "x".repeat(pick(random, [1000, 70000]))]),
          () => headers.push(["x-nul", "a\0b"]),
          () => headers.push(["bad-escape", "a\\xb"]),
          () => headers.push(["no-colon-at-all", ""]),
          () => {
            for (let j = 0; j < 1200; j++) headers.push([`h${j}`, "v"]);
          },
          () =>
            headers.push(["content-length", pick(random, ["5", "-1", "abc"])]),
        ]);
        oddity();
      }
    }
    const body = odd && random() < 0.2 ? "hello" : "";
    const eol = odd && random() < 0.2 ? "\r\n" : "\n";
    return raw("CONNECTED", headers, body, eol);
  }

  #tail(kind: TailKind): Uint8Array {
    const random = this.#random;
    switch (kind) {
      case "error": {
        const error = errorFrame(random);
        this.log.errorMessage = error.message;
        return error.bytes;
      }
      case "connected":
        return this.#connectedFrame(false);
      case "garbage":
        return this.#garbage();
      case "message":
        return this.#message(
          {
            id: pick(random, ["0", "1", "zzz"]),
            destination: "/q",
            ack: "auto",
          },
        );
      case "receipt":
        return raw("RECEIPT", [["receipt-id", pick(random, ["0", "1", "x"])]]);
      case "heartbeats":
        return encoder.encode("\n\r\n\n".repeat(1 + int(random, 3)));
      case "truncated":
        return this.#message({ id: "0", destination: "/q", ack: "auto" })
          .subarray(0, 5 + int(random, 20));
    }
  }

  #garbage(): Uint8Array {
    const random = this.#random;
    if (random() < 0.5) {
      // Bytes from the decoder fuzz: random, mutated or valid frames.
      return generateInput(this.#seed, int(random, 0x7fffffff)).bytes;
    }
    return pick(random, [
      () => encoder.encode("HELLO\n\n\0"),
      () => encoder.encode("message\ndestination:/q\n\n\0"),
      () => encoder.encode("\xff\xfe\0"),
      () => new Uint8Array([0xc3, 0x28, 0x0a, 0x0a, 0x00]),
      () => encoder.encode("MESSAGE\rdestination:/q\r\r\0"),
      () => encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ])();
  }

  #silence(): void {
    this.#silent = true;
    this.log.fate ??= "silence";
    this.#wire.stop();
  }

  #strike(): void {
    if (this.#ended || this.#silent) return;
    const random = this.#random;
    this.log.fate = this.#fate;
    switch (this.#fate) {
      case "close":
        if (random() < 0.5) this.#end("close");
        else this.#wire.drained().then(() => this.#end("close"));
        return;
      case "silence":
        this.#silence();
        return;
      case "error": {
        const error = errorFrame(random);
        this.#wire.put(error.bytes);
        this.#wire.drained().then(() => this.#end("error"));
        return;
      }
      case "garbage":
        this.#wire.put(this.#garbage());
        this.#wire.drained().then(() => this.#end("garbage"));
        return;
      case "half-close":
        this.#wire.drained().then(() => {
          this.#wire.stop();
          this.#conn.closeWrite().catch(() => {});
        });
        return;
    }
  }

  #receiptFor(frame: StompFrame): void {
    const id = frame.headers.get("receipt");
    if (id === undefined) return;
    const random = this.#random;
    if (!this.#hostile(0.3)) {
      this.#wire.put(raw("RECEIPT", [["receipt-id", id]]));
      return;
    }
    const answer = weighted(random, {
      none: 3,
      error: 2,
      wrong: 2,
      late: 2,
      twice: 1,
    });
    this.log.hostile.push(`receipt:${answer}`);
    switch (answer) {
      case "none":
        return;
      case "error":
        this.#wire.put(errorFrame(random, [["receipt-id", id]]).bytes);
        this.#afterError();
        return;
      case "wrong":
        this.#wire.put(raw("RECEIPT", [["receipt-id", id + "x"]]));
        return;
      case "late":
        this.#later(
          int(random, 300),
          () => this.#wire.put(raw("RECEIPT", [["receipt-id", id]])),
        );
        return;
      case "twice":
        this.#wire.put(raw("RECEIPT", [["receipt-id", id]]));
        this.#wire.put(raw("RECEIPT", [["receipt-id", id]]));
        return;
    }
  }

  #receipt(frame: StompFrame): void {
    if (frame.command === "UNSUBSCRIBE") {
      this.#subscriptions.delete(frame.headers.get("id") ?? "");
    }
    this.#receiptFor(frame);
  }

  #subscribe(frame: StompFrame): void {
    const random = this.#random;
    const subscription = {
      id: frame.headers.get("id") ?? "",
      destination: frame.headers.get("destination") ?? "",
      ack: frame.headers.get("ack") ?? "auto",
    };
    this.#subscriptions.set(subscription.id, subscription);
    this.#receiptFor(frame);
    for (let i = int(random, 4); i > 0; i--) {
      if (this.#hostile(0.2)) this.#putHostile(subscription);
      else this.#wire.put(this.#message(subscription));
    }
  }

  #send(frame: StompFrame): void {
    const random = this.#random;
    this.#receiptFor(frame);
    const replyTo = frame.headers.get("reply-to");
    if (replyTo === undefined || random() < 0.2) return;
    const correlation = frame.headers.get("correlation-id") ?? "";
    // A temp-queue reply comes under a subscription named after the queue;
    // otherwise under the subscription to the reply destination.
    let id = replyTo;
    for (const subscription of this.#subscriptions.values()) {
      if (subscription.destination === replyTo) id = subscription.id;
    }
    const reply = this.#message(
      { id, destination: replyTo, ack: "auto" },
      [["correlation-id", random() < 0.9 ? correlation : "other"]],
    );
    if (random() < 0.3) {
      this.#later(int(random, 300), () => this.#wire.put(reply));
    } else this.#wire.put(reply);
  }

  #disconnect(frame: StompFrame): void {
    const random = this.#random;
    const id = frame.headers.get("receipt");
    const answer = this.#hostile(0.5)
      ? weighted(random, { receipt: 2, close: 2, none: 1, error: 1, late: 1 })
      : "receipt";
    if (answer !== "receipt") this.log.hostile.push(`disconnect:${answer}`);
    switch (answer) {
      case "receipt":
        if (id !== undefined) {
          this.#wire.put(raw("RECEIPT", [["receipt-id", id]]));
        }
        this.#wire.drained().then(() => this.#end("client"));
        return;
      case "close":
        this.#end("close");
        return;
      case "none":
        return;
      case "error":
        this.#wire.put(errorFrame(random).bytes);
        this.#afterError();
        return;
      case "late":
        this.#later(int(random, 300), () => {
          if (id !== undefined) {
            this.#wire.put(raw("RECEIPT", [["receipt-id", id]]));
          }
        });
        return;
    }
  }

  #message(
    subscription: ServerSubscription,
    extra: [string, string][] = [],
  ): Uint8Array {
    const random = this.#random;
    const n = ++this.#messages;
    const headers: [string, string][] = [
      ["destination", subscription.destination],
      ["message-id", `m-${n}`],
      ["subscription", subscription.id],
      ...extra,
    ];
    if (subscription.ack !== "auto" && this.#version === "1.2") {
      headers.push(["ack", `a-${n}`]);
    }
    const size = random() < 0.9 ? int(random, 64) : int(random, 64 * 1024);
    const body = new Uint8Array(size).fill(0x61 + (n % 26));
    if (random() < 0.7) headers.push(["content-length", String(size)]);
    return raw("MESSAGE", headers, body);
  }

  /** One hostile frame, to `subscription` when it needs one. */
  #putHostile(subscription?: ServerSubscription): void {
    const random = this.#random;
    const target = subscription ??
      pick(random, [...this.#subscriptions.values()]) ??
      { id: "0", destination: "/q", ack: "auto" };
    const kind = weighted(random, {
      "huge-declared": 1,
      "bad-length": 3,
      "short-length": 2,
      "long-header": 2,
      "many-headers": 1,
      "nul-header": 1,
      "bad-escape": 2,
      "no-colon": 1,
      "unknown-command": 1,
      "cr-only": 1,
      "invalid-utf8": 1,
      connected: 2,
      error: 3,
      "receipt-unknown": 2,
      "receipt-missing": 1,
      "unknown-subscription": 3,
      "no-subscription": 1,
      "no-ack": 1,
      fuzz: 3,
      eols: 1,
      "large-body": 1,
      trickle: 0.3,
    });
    this.log.hostile.push(kind);
    const base: [string, string][] = [
      ["destination", target.destination],
      ["message-id", `h-${++this.#messages}`],
      ["subscription", target.id],
    ];
    if (target.ack !== "auto") base.push(["ack", `h-${this.#messages}`]);
    const put = (bytes: Uint8Array) => this.#wire.put(bytes);
    switch (kind) {
      case "huge-declared":
        // Declares a body as large as the default limit allows and sends a
        // few bytes of it: what is buffered must follow what arrives.
        put(encoder.encode(
          `MESSAGE\ndestination:/q\nsubscription:${target.id}\ncontent-length:${
            pick(random, ["67108864", "67108863", "33554432"])
          }\n\nabc`,
        ));
        if (random() < 0.5) this.#silence();
        else this.#later(int(random, 20), () => this.#end("close"));
        return;
      case "bad-length":
        put(raw("MESSAGE", [
          ...base,
          [
            "content-length",
            pick(random, [
              "99999999999999999999",
              "-1",
              "abc",
              "1e3",
              " 5",
              "0x10",
              "",
              "5 ",
              "+5",
              "1.5",
              "4294967297",
            ]),
          ],
        ], "hello"));
        return;
      case "short-length":
        put(raw("MESSAGE", [...base, ["content-length", "2"]], "hello"));
        return;
      case "long-header":
        put(raw("MESSAGE", [
          ...base,
          ["x-long", "v".repeat(pick(random, [1000, 65000, 70000, 300000]))],
        ], "body"));
        return;
      case "many-headers": {
        const headers: [string, string][] = [...base];
        for (let i = pick(random, [999, 1001, 5000]); i > 0; i--) {
          headers.push([`h${i}`, "v"]);
        }
        put(raw("MESSAGE", headers, "body"));
        return;
      }
      case "nul-header":
        put(raw("MESSAGE", [...base, ["x-nul", "a\0b"]], "body"));
        return;
      case "bad-escape":
        put(raw("MESSAGE", [
          ...base,
          ["x-esc", pick(random, ["a\\xb", "trailing\\", "\\t"])],
        ], "body"));
        return;
      case "no-colon":
        put(encoder.encode(
          `MESSAGE\ndestination:/q\nsubscription:${target.id}\nnocolon\n\nbody\0`,
        ));
        return;
      case "unknown-command":
        put(raw(pick(random, ["HELLO", "message", "MESSAGEX", ""]), base, "b"));
        return;
      case "cr-only":
        put(raw("MESSAGE", base, "body", "\r"));
        return;
      case "invalid-utf8":
        put(concat([
          encoder.encode(`MESSAGE\nsubscription:${target.id}\ndestination:`),
          new Uint8Array([0xff, 0xfe, 0xc3, 0x28]),
          encoder.encode("\n\nbody\0"),
        ]));
        return;
      case "connected":
        put(this.#connectedFrame(random() < 0.5));
        return;
      case "error":
        put(errorFrame(random).bytes);
        this.#afterError();
        return;
      case "receipt-unknown":
        put(raw("RECEIPT", [["receipt-id", `nobody-${int(random, 99)}`]]));
        return;
      case "receipt-missing":
        put(raw("RECEIPT", []));
        return;
      case "unknown-subscription":
        put(raw("MESSAGE", [
          ["destination", "/q"],
          ["message-id", "u"],
          ["subscription", pick(random, ["zzz", "999", "", target.id + "x"])],
        ], pick(random, ['{"json": true}', "not json {", ""])));
        return;
      case "no-subscription":
        put(raw("MESSAGE", [["destination", "/q"], ["message-id", "n"]], "x"));
        return;
      case "no-ack":
        put(raw("MESSAGE", [
          ["destination", target.destination],
          ["message-id", "na"],
          ["subscription", target.id],
        ], "x"));
        return;
      case "fuzz":
        put(generateInput(this.#seed, int(random, 0x7fffffff)).bytes);
        return;
      case "eols":
        put(
          encoder.encode(pick(random, ["\n", "\r\n"]).repeat(int(random, 500))),
        );
        return;
      case "large-body": {
        const size = pick(random, [256 * 1024, MiB, 4 * MiB]);
        put(
          raw(
            "MESSAGE",
            [...base, ["content-length", String(size)]],
            new Uint8Array(size),
          ),
        );
        return;
      }
      case "trickle": {
        // A body without content-length, a byte a write.
        const body = new Uint8Array(16 * 1024).fill(0x74);
        const frame = raw("MESSAGE", base, body);
        this.#wire.flush();
        for (let i = 0; i < frame.length; i++) {
          this.#wire.put(frame.subarray(i, i + 1), true);
        }
        return;
      }
    }
  }
}

export { MiB };
