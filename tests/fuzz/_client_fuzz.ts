/**
 * The client fuzz, shared by its unit profile (`tests/fuzz_client_test.ts`)
 * and `deno task fuzz:client` (`tests/fuzz/client_fuzz.ts`): sessions of the
 * real `StompClient` against a {@linkcode HostileServer} over real TCP on
 * 127.0.0.1, and the rules every session must keep.
 *
 * Session `i` of seed `s` draws the client's options and operations from
 * its own PRNG, and the server its scripts from others, all seeded from
 * `(s, i)`, so a session can be replayed alone (the client's timing may
 * still differ a little). A session connects (with `reconnect` or without,
 * short timeouts and backoff), subscribes and reads (acknowledging some
 * messages), sends with and without receipts, makes requests, runs a
 * transaction, and disconnects or closes; with `throwingHooks` its hooks
 * (`trace`, `onStateChange`, `onError`, `onUnhandledMessage`,
 * `onFailedAttempt`) throw now and then, and `onStateChange` reads the client
 * before `connectUrl` has returned it. The rules:
 *
 * - `uncaught`: no uncaught error (a `reportError` included) and no
 *   unhandled rejection, anywhere in the process.
 * - `settle`: every operation settles within its timeout plus a slack
 *   (connect: every attempt's `connectTimeout` and the backoff between
 *   them; a subscription's iteration: the slack after the client closed).
 * - `types`: operations reject only with the client's typed errors
 *   (`Stomp...Error`), never with a `TypeError` or the like from inside.
 * - `closed`: after `disconnect` or `close`, `closed` settles and `state`
 *   is `"closed"`.
 * - `memory`: the process's heap and RSS stay under their bounds, sampled
 *   every 20 ms.
 * - `cause`: an ERROR that came in one chunk with CONNECTED fails `connect`
 *   with the server's text in its message; a second CONNECTED in that chunk
 *   fails it naming CONNECTED; no error says the session is idle.
 * - `reason`: a `StompServerError` carries its frame's text body
 *   (whitespace collapsed; its first 40 characters are looked for) in its
 *   message, not only the `message` header.
 * - `attempts`: `onFailedAttempt` numbers attempts from 1 since the client
 *   was last connected, one more each time.
 * - `console`: the client writes at most one line to `console.error` per
 *   client (the documented channel when `onError` itself throws); those
 *   lines are counted, not printed, unless `verbose`.
 * - `harness`: the fuzz itself did not fail (the hostile server threw).
 *
 * @module
 */

import {
  type ConnectUrlOptions,
  StompClient,
  type StompMessage,
  StompServerError,
  type StompSubscription,
} from "../../mod.ts";
import { prng } from "../_helpers.ts";
import { inputSeed } from "./_fuzz.ts";
import { type ConnectionLog, HostileServer } from "./_hostile.ts";

/** The rules a session keeps; see the module documentation. */
export const RULES = [
  "uncaught",
  "settle",
  "types",
  "closed",
  "memory",
  "cause",
  "reason",
  "attempts",
  "console",
  "harness",
] as const;

/** One of {@linkcode RULES}. */
export type Rule = (typeof RULES)[number];

/** Whether sessions reconnect. */
export type ReconnectMode = "mixed" | "always" | "never";

/**
 * Faults the harness makes itself, so that a test can prove each rule
 * catches a failure: an uncaught error, an unhandled rejection, an operation
 * that never settles, and memory held past the bound.
 */
export type Sabotage = "uncaught" | "rejection" | "hang" | "memory";

/** Options of {@linkcode runClientFuzz}. */
export interface ClientFuzzOptions {
  /** Sessions to run. */
  count: number;
  /** The seed: same seed, same sessions. */
  seed: number;
  /** First session index. @default {0} */
  from?: number;
  /** Sessions run at once. @default {8} */
  jobs?: number;
  /** Hooks throw now and then. @default {false} */
  throwingHooks?: boolean;
  /** Whether sessions reconnect. @default {"mixed"} */
  reconnect?: ReconnectMode;
  /**
   * Milliseconds an operation may settle after its timeout (a loaded
   * event loop).
   *
   * @default {1500}
   */
  slack?: number;
  /** Bound of `Deno.memoryUsage().heapUsed`, in MiB. @default {256} */
  maxHeapMiB?: number;
  /** Bound of `Deno.memoryUsage().rss`, in MiB. @default {768} */
  maxRssMiB?: number;
  /** Collect every failure instead of stopping at the first. @default {false} */
  keepGoing?: boolean;
  /** Rules not checked. @default {[]} */
  skip?: readonly Rule[];
  /** How often the server misbehaves, 0 to 1. @default {1} */
  hostility?: number;
  /** Print each session's timeline to stderr (for a replay). @default {false} */
  verbose?: boolean;
  /** Faults made on purpose in session `from` (tests only). */
  sabotage?: Sabotage;
  /** Called after each session with the number done. */
  onProgress?: (done: number, stats: ClientFuzzStats) => void;
}

/** Everything a client fuzz run counted. */
export interface ClientFuzzStats {
  sessions: number;
  /** Sessions whose `connect` resolved, and rejected. */
  connected: number;
  connectFailed: number;
  /** Sessions with `reconnect`. */
  reconnecting: number;
  /** Connections the servers accepted. */
  connections: number;
  /** Bytes the servers wrote. */
  bytesSent: number;
  /** Handshakes, tails, fates and hostile frames, by kind. */
  server: Record<string, number>;
  /** Operations by name and outcome (`resolved`, or the error's class). */
  operations: Record<string, number>;
  /** Error messages seen (rejections and `onError`), numbers left out. */
  messages: Record<string, number>;
  /** Hook calls, and the throws made on purpose. */
  hookCalls: number;
  hookThrows: number;
  /** Lines the client wrote to `console.error`. */
  consoleErrors: number;
  /** The latest an operation settled past its own timeout, in ms. */
  latestPastTimeout: number;
  /** Highest `heapUsed` and `rss` sampled, in bytes, and a session then. */
  maxHeapUsed: number;
  maxRss: number;
  maxRssSession: number;
  /**
   * The largest growth of `heapUsed` and `rss` while one session ran, from
   * its start: exact with one job, an upper bound with several.
   */
  maxHeapGrowth: { index: number; bytes: number };
  maxRssGrowth: { index: number; bytes: number };
  /** The session that took longest. */
  slowest: { index: number; ms: number };
}

/** A broken rule. */
export interface ClientFuzzFailure {
  readonly seed: number;
  readonly index: number;
  readonly rule: Rule;
  readonly message: string;
  /**
   * False when the failure could not be tied to one session (an uncaught
   * error while several ran) and running it alone did not repeat it.
   */
  readonly attributed: boolean;
  /** The flags that replay it, after `deno task fuzz:client`. */
  readonly replay: string;
}

/** What {@linkcode runClientFuzz} found. */
export interface ClientFuzzReport {
  readonly stats: ClientFuzzStats;
  /** The failures: the first only, unless `keepGoing`. */
  readonly failures: readonly ClientFuzzFailure[];
}

const MiB = 1024 * 1024;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function int(random: () => number, max: number): number {
  return Math.floor(random() * (max + 1));
}

function bump(record: Record<string, number>, key: string, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

/** A message with values and numbers left out: the kind of error. */
export function template(message: string): string {
  return message.replace(/"(?:[^"\\]|\\.)*"(?:\.\.\.)?/g, "…")
    .replace(/[0-9]+/g, "N").slice(0, 160);
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** A body as collapsed text, or undefined when it is not printable text. */
function text(body: Uint8Array): string | undefined {
  let decoded: string;
  try {
    decoded = STRICT_UTF8.decode(body);
  } catch {
    return undefined;
  }
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x08\x0e-\x1f\x7f]/.test(decoded)) return undefined;
  return collapse(decoded);
}

function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : `${typeof error} ${String(error)}`;
}

const MARK = /fuzz session ([0-9]+)/;

/** The flags of `deno task fuzz:client` that replay session `index`. */
export function replayFlags(
  options: ClientFuzzOptions,
  index: number,
): string {
  let flags = `--seed=${options.seed} --from=${index} --count=1`;
  if (options.throwingHooks) flags += " --throwing-hooks";
  if ((options.reconnect ?? "mixed") !== "mixed") {
    flags += ` --reconnect=${options.reconnect}`;
  }
  if ((options.hostility ?? 1) !== 1) {
    flags += ` --hostility=${options.hostility}`;
  }
  return flags;
}

/** The failures and counters of one session. */
class Session {
  readonly index: number;
  /** Memory when the session started. */
  readonly startHeap: number;
  readonly startRss: number;
  readonly violations: { rule: Rule; message: string }[] = [];
  readonly #skip: ReadonlySet<Rule>;
  readonly #slack: number;
  readonly #stats: ClientFuzzStats;
  readonly #pending = new Set<
    { name: string; deadline: number; timeout: number }
  >();
  readonly #settled: Promise<unknown>[] = [];
  /** Where the timeline goes, in verbose runs. */
  log: ((line: string) => void) | undefined;
  /** The last rejection of each operation, by name. */
  readonly rejections = new Map<string, unknown>();

  constructor(
    index: number,
    skip: ReadonlySet<Rule>,
    slack: number,
    stats: ClientFuzzStats,
  ) {
    this.index = index;
    const { heapUsed, rss } = Deno.memoryUsage();
    this.startHeap = heapUsed;
    this.startRss = rss;
    this.#skip = skip;
    this.#slack = slack;
    this.#stats = stats;
  }

  violate(rule: Rule, message: string): void {
    if (this.#skip.has(rule)) return;
    this.violations.push({ rule, message });
  }

  /** An error the client handed out: counted, and checked. */
  seen(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    bump(this.#stats.messages, template(describe(error)));
    if (/session is idle/.test(message)) {
      this.violate(
        "cause",
        `an error names the wrong cause: ${describe(error)}`,
      );
    }
    if (error instanceof StompServerError) {
      const body = text(error.frame.body);
      if (
        body !== undefined && body.length > 0 &&
        !collapse(error.message).includes(body.slice(0, 40))
      ) {
        this.violate(
          "reason",
          `a StompServerError does not carry its body: message ${
            JSON.stringify(error.message)
          }, body ${JSON.stringify(body.slice(0, 80))}`,
        );
      }
    }
  }

  /**
   * Watches an operation: it must settle within `timeout` + slack (0: the
   * slack alone), and reject only with a typed error. Resolves to its
   * value, or undefined when it rejected or its deadline passed.
   */
  track<T>(
    name: string,
    promise: Promise<T>,
    timeout: number,
  ): Promise<T | undefined> {
    const started = performance.now();
    this.log?.(`${name}: started (timeout ${timeout} ms)`);
    const entry = {
      name,
      timeout,
      deadline: started + timeout + this.#slack,
    };
    this.#pending.add(entry);
    const late = () => {
      this.#pending.delete(entry);
      const now = performance.now();
      this.log?.(`${name}: settled after ${Math.round(now - started)} ms`);
      const past = now - started - timeout;
      if (past > this.#stats.latestPastTimeout) {
        this.#stats.latestPastTimeout = past;
      }
      if (now > entry.deadline) {
        this.violate(
          "settle",
          `${name} settled after ${
            Math.round(now - started)
          } ms, past its timeout of ${timeout} ms and the slack of ${this.#slack} ms`,
        );
      }
    };
    const watched = promise.then(
      (value) => {
        late();
        bump(this.#stats.operations, `${name}: resolved`);
        return value;
      },
      (error) => {
        late();
        this.rejections.set(name, error);
        bump(
          this.#stats.operations,
          `${name}: ${error instanceof Error ? error.name : typeof error}`,
        );
        this.seen(error);
        if (
          !(error instanceof Error) || !/^Stomp[A-Za-z]*Error$/.test(error.name)
        ) {
          this.violate("types", `${name} rejected with ${describe(error)}`);
        }
        return undefined;
      },
    );
    this.#settled.push(watched);
    // Whoever awaits it waits no longer than its deadline: an operation
    // that never settles is flagged by settleAll, not a hung session.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeout + this.#slack + 1);
    });
    return Promise.race([watched, deadline]).finally(() => clearTimeout(timer));
  }

  /** Waits for every watched operation until its deadline; flags the rest. */
  async settleAll(): Promise<void> {
    while (this.#pending.size > 0) {
      let last = 0;
      for (const entry of this.#pending) last = Math.max(last, entry.deadline);
      const wait = last - performance.now();
      if (wait <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled(this.#settled),
        new Promise((resolve) => timer = setTimeout(resolve, wait + 1)),
      ]);
      clearTimeout(timer);
      if (performance.now() >= last) break;
    }
    for (const entry of this.#pending) {
      this.violate(
        "settle",
        `${entry.name} did not settle within its timeout of ${entry.timeout} ms and the slack of ${this.#slack} ms`,
      );
    }
    this.#pending.clear();
  }
}

/** Hooks that count their calls and, if asked, throw now and then. */
class Hooks {
  readonly #index: number;
  readonly #random: () => number;
  readonly #rate: number;
  readonly #stats: ClientFuzzStats;

  constructor(
    index: number,
    random: () => number,
    throwing: boolean,
    stats: ClientFuzzStats,
  ) {
    this.#index = index;
    this.#random = random;
    this.#rate = throwing ? pick(random, [0.02, 0.1, 0.3, 1]) : 0;
    this.#stats = stats;
  }

  get throwing(): boolean {
    return this.#rate > 0;
  }

  wrap<A extends unknown[]>(
    name: string,
    body: (...args: A) => void,
  ): (...args: A) => void {
    return (...args: A) => {
      this.#stats.hookCalls++;
      body(...args);
      if (this.#rate > 0 && this.#random() < this.#rate) {
        this.#stats.hookThrows++;
        throw new Error(
          `fuzz session ${this.#index}: ${name} throws on purpose`,
        );
      }
    };
  }
}

/** How long `connect` may take: every attempt and the waits between them. */
function connectBound(
  connectTimeout: number,
  reconnect: ConnectUrlOptions["reconnect"],
): number {
  if (typeof reconnect !== "object" || reconnect.retryFirstConnect === false) {
    return connectTimeout;
  }
  const retries = reconnect.retries ?? 10;
  return (retries + 1) * connectTimeout + retries * (reconnect.maxDelay ?? 0);
}

/** The settings of a run that sessions share. */
interface Run {
  readonly options: ClientFuzzOptions;
  readonly skip: ReadonlySet<Rule>;
  readonly slack: number;
  readonly stats: ClientFuzzStats;
  /** Sessions running now, by index. */
  readonly live: Map<number, Session>;
}

async function runSession(run: Run, index: number): Promise<Session> {
  const { options, stats, slack } = run;
  const session = new Session(index, run.skip, slack, stats);
  if (options.verbose) {
    session.log = (line) => console.error(`[${index}] ${line}`);
  }
  run.live.set(index, session);
  const seed = inputSeed(options.seed, index);
  const random = prng(seed ^ 0x2545f491);
  const server = HostileServer.listen({
    seed,
    hostility: options.hostility ?? 1,
  });
  const sabotage = index === (options.from ?? 0) ? options.sabotage : undefined;
  const hooks = new Hooks(index, random, options.throwingHooks ?? false, stats);
  const holder: { client: StompClient | undefined } = { client: undefined };
  /** onFailedAttempt's numbers; 0 marks a connection made. */
  const attempts: number[] = [];
  const reconnectMode = options.reconnect ?? "mixed";
  const reconnecting = reconnectMode === "always" ||
    (reconnectMode === "mixed" && random() < 0.5);
  const connectTimeout = 80 + int(random, 170);
  const opTimeout = () => 50 + int(random, 200);
  const jitter = prng(seed ^ 0x68e31da4);
  const reconnect: ConnectUrlOptions["reconnect"] = reconnecting
    ? {
      retries: 1 + int(random, 3),
      initialDelay: int(random, 10),
      maxDelay: 20,
      jitter: 0.5,
      random: jitter,
      retryFirstConnect: random() < 0.7,
      onFailedAttempt: hooks.wrap(
        "onFailedAttempt",
        (error: Error, attempt: number) => {
          session.seen(error);
          attempts.push(attempt);
        },
      ),
    }
    : false;
  if (reconnecting) stats.reconnecting++;
  const clientOptions: ConnectUrlOptions = {
    connectTimeout,
    receiptTimeout: opTimeout(),
    disconnectTimeout: opTimeout(),
    heartBeat: pick(random, [[0, 0], [0, 0], [0, 0], [20, 20], [0, 40], [
      40,
      0,
    ]] as [number, number][]),
    reconnect,
    replyMode: pick(random, ["auto", "temp-queue", "subscription"] as const),
    bodyChunks: random() < 0.2,
    highWaterMark: pick(random, [1, 4, 256]),
    onError: hooks.wrap("onError", (error: Error) => session.seen(error)),
    onStateChange: hooks.wrap("onStateChange", (change) => {
      if (change.state === "connected") attempts.push(0);
      session.log?.(
        `state ${change.previous} -> ${change.state}${
          change.error ? ` (${describe(change.error)})` : ""
        }`,
      );
      // A hook that reads the client, as applications do; before
      // connectUrl resolves there is none yet.
      if (hooks.throwing && holder.client === undefined) {
        throw new TypeError(
          `fuzz session ${index}: onStateChange read the client before connectUrl returned it`,
        );
      }
    }),
  };
  if (random() < 0.3) {
    clientOptions.decodeLimits = {
      maxHeaderLineBytes: 1024,
      maxHeaderBytes: 4096,
      maxHeaders: 20,
      maxBodyBytes: 64 * 1024,
    };
  }
  if (random() < 0.5) {
    clientOptions.trace = hooks.wrap("trace", () => {});
  }
  if (random() < 0.5) {
    clientOptions.onUnhandledMessage = hooks.wrap(
      "onUnhandledMessage",
      (frame) => {
        if (!hooks.throwing) return;
        try {
          JSON.parse(frame.text);
        } catch (error) {
          throw new SyntaxError(
            `fuzz session ${index}: onUnhandledMessage parsed a body: ${
              (error as Error).message
            }`,
          );
        }
      },
    );
  }
  const consumers: Promise<unknown>[] = [];
  let client: StompClient | undefined;
  try {
    if (sabotage === "uncaught") {
      reportError(new Error(`sabotage: an uncaught error`));
    }
    if (sabotage === "rejection") {
      Promise.reject(new Error(`sabotage: an unhandled rejection`));
    }
    if (sabotage === "hang") {
      session.track("sabotage", new Promise<void>(() => {}), 10);
    }
    let held: Uint8Array | undefined;
    if (sabotage === "memory") {
      // Enough to cross the RSS bound, and no more.
      const over = (options.maxRssMiB ?? 768) * MiB - Deno.memoryUsage().rss;
      held = new Uint8Array(Math.max(0, over) + 32 * MiB).fill(1);
      // Held across a few samples.
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    client = await session.track(
      "connect",
      StompClient.connectUrl(server.url, clientOptions),
      connectBound(connectTimeout, reconnect),
    );
    holder.client = client;
    if (client === undefined) stats.connectFailed++;
    else {
      stats.connected++;
      await operations(client, session, random, opTimeout, consumers);
      const ending = pick(random, [
        "disconnect",
        "disconnect",
        "close",
        "dispose",
      ]);
      if (ending === "close") client.close();
      else if (ending === "dispose") {
        await session.track(
          "asyncDispose",
          client[Symbol.asyncDispose](),
          clientOptions.disconnectTimeout!,
        );
      } else {
        const t = opTimeout();
        await session.track("disconnect", client.disconnect({ timeout: t }), t);
      }
      const closed = await session.track(
        "closed",
        client.closed.then(() => "resolved", () => "rejected"),
        0,
      );
      if (closed !== undefined && client.state !== "closed") {
        session.violate(
          "closed",
          `closed settled with the client in state ${client.state}`,
        );
      }
      for (const consumer of consumers) {
        session.track("subscription iteration", consumer, 0);
      }
    }
    held?.fill(2);
    await session.settleAll();
    checkConnectCause(session, server.connections, reconnecting, client);
    if (!run.skip.has("attempts")) checkAttempts(session, attempts);
  } finally {
    client?.close();
    await server.close();
    for (const error of server.errors) {
      session.violate("harness", `the hostile server threw ${describe(error)}`);
    }
    stats.sessions++;
    stats.connections += server.connections.length;
    stats.bytesSent += server.bytesSent;
    for (const log of server.connections) {
      countServer(stats, log);
      session.log?.(`server connection ${JSON.stringify(log)}`);
    }
    // A turn for what the session left to fire: its errors are its own.
    await new Promise((resolve) => setTimeout(resolve, 0));
    run.live.delete(index);
  }
  return session;
}

function countServer(stats: ClientFuzzStats, log: ConnectionLog): void {
  bump(stats.server, `handshake ${log.handshake ?? "none"}`);
  if (log.tail !== undefined) {
    bump(stats.server, `tail ${log.tail}${log.oneWrite ? " (one write)" : ""}`);
  }
  bump(stats.server, `style ${log.style}`);
  bump(stats.server, `end ${log.fate ?? "open"}`);
  for (const kind of log.hostile) bump(stats.server, `hostile ${kind}`);
}

/**
 * The `cause` rule for the first connection of a session without
 * reconnection: an ERROR or a second CONNECTED in the chunk of CONNECTED
 * fails `connect`, saying so.
 */
function checkConnectCause(
  session: Session,
  logs: readonly ConnectionLog[],
  reconnecting: boolean,
  client: StompClient | undefined,
): void {
  const first = logs[0];
  if (
    reconnecting || first === undefined || !first.oneWrite ||
    first.bytesSent < first.handshakeBytes
  ) return;
  const error = session.rejections.get("connect");
  const message = error instanceof Error ? error.message : String(error);
  if (first.tail === "error") {
    if (client !== undefined) {
      session.violate(
        "cause",
        `connect resolved although an ERROR (${
          JSON.stringify(first.errorMessage)
        }) came in the chunk of CONNECTED`,
      );
    } else if (!message.includes(first.errorMessage!)) {
      session.violate(
        "cause",
        `connect rejected without the text of the ERROR that came in the chunk of CONNECTED (${
          JSON.stringify(first.errorMessage)
        }): ${describe(error)}`,
      );
    }
  }
  if (
    first.tail === "connected" && client === undefined &&
    !message.includes("CONNECTED")
  ) {
    session.violate(
      "cause",
      `connect rejected without naming the second CONNECTED that came in the chunk of the first: ${
        describe(error)
      }`,
    );
  }
}

/**
 * The `attempts` rule: numbered from 1 since the client was last connected
 * (or began), one more each time. A count may start again at 1 without a
 * "connected" state between: a connection made while disconnecting changes
 * no state.
 */
function checkAttempts(session: Session, attempts: readonly number[]): void {
  let expected = 1;
  for (const n of attempts) {
    if (n === 0) {
      expected = 1;
      continue;
    }
    if (n !== expected && n !== 1) {
      session.violate(
        "attempts",
        `onFailedAttempt numbered attempts ${
          JSON.stringify(attempts)
        } (0: connected)`,
      );
      return;
    }
    expected = n + 1;
  }
}

/** The session's operations, some awaited, some left running. */
async function operations(
  client: StompClient,
  session: Session,
  random: () => number,
  timeout: () => number,
  consumers: Promise<unknown>[],
): Promise<void> {
  const running: Promise<unknown>[] = [];
  const destinations = ["/queue/a", "/topic/b", "/queue/c"];
  for (let n = 1 + int(random, 5); n > 0; n--) {
    const kind = pick(random, [
      "subscribe",
      "subscribe",
      "send",
      "send receipt",
      "send receipt",
      "request",
      "transaction",
      "pause",
    ]);
    let op: Promise<unknown>;
    switch (kind) {
      case "subscribe": {
        const t = timeout();
        const destination = pick(random, destinations);
        const options = {
          ack: pick(random, ["auto", "client", "client-individual"] as const),
          receipt: random() < 0.5,
          timeout: t,
        };
        session.log?.(`subscribe ${destination} ${JSON.stringify(options)}`);
        op = session.track(
          "subscribe",
          client.subscribe(destination, options),
          t,
        ).then((subscription) => {
          if (subscription === undefined) return;
          consumers.push(
            consume(client, subscription, session, random, timeout),
          );
        });
        break;
      }
      case "send":
      case "send receipt": {
        const t = timeout();
        const size = random() < 0.9 ? int(random, 100) : pick(random, [
          300 * 1024,
          5 * MiB,
        ]);
        const body = random() < 0.5
          ? "x".repeat(size)
          : new Uint8Array(size).fill(0x62);
        op = session.track(
          kind,
          client.send(pick(random, destinations), body, {
            receipt: kind === "send receipt",
            timeout: t,
          }),
          t,
        );
        break;
      }
      case "request": {
        const t = timeout();
        op = session.track(
          "request",
          client.request("/queue/rpc", JSON.stringify({ n }), { timeout: t }),
          t,
        );
        break;
      }
      case "transaction": {
        const t = timeout();
        op = session.track(
          "begin",
          client.begin({ receipt: random() < 0.5, timeout: t }),
          t,
        ).then(async (transaction) => {
          if (transaction === undefined) return;
          const t2 = timeout();
          await session.track(
            "transaction send",
            transaction.send("/queue/a", "in a transaction", { timeout: t2 }),
            t2,
          );
          const t3 = timeout();
          const end = random() < 0.7 ? "commit" : "abort";
          await session.track(
            end,
            transaction[end]({ receipt: random() < 0.5, timeout: t3 }),
            t3,
          );
        });
        break;
      }
      default:
        op = new Promise((resolve) => setTimeout(resolve, int(random, 30)));
    }
    if (random() < 0.5) await op;
    else running.push(op);
  }
  // The session's end is decided now; what runs may still be running.
  if (random() < 0.5) await Promise.all(running);
  else await new Promise((resolve) => setTimeout(resolve, int(random, 40)));
}

/** Reads a subscription, acknowledging some messages, maybe not all. */
async function consume(
  client: StompClient,
  subscription: StompSubscription,
  session: Session,
  random: () => number,
  timeout: () => number,
): Promise<void> {
  const limit = pick(random, [0, 1, 3, Infinity]);
  // Some subscriptions are never read: the client must stop reading the
  // connection rather than buffer without end.
  if (random() < 0.2) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  let count = 0;
  try {
    for await (const message of subscription) {
      count++;
      readBody(message);
      if (message.needsAck && random() < 0.8) {
        const t = timeout();
        // NACK is STOMP 1.1 and later (a TypeError under 1.0).
        const how = random() < 0.8 || client.version === "1.0" ? "ack" : "nack";
        session.track(
          how,
          message[how]({ receipt: random() < 0.3, timeout: t }),
          t,
        );
      }
      if (count >= limit) break;
    }
  } catch (error) {
    session.seen(error);
    if (
      !(error instanceof Error) || !/^Stomp[A-Za-z]*Error$/.test(error.name)
    ) {
      session.violate(
        "types",
        `a subscription's iteration threw ${describe(error)}`,
      );
    }
  }
}

function readBody(message: StompMessage): void {
  // Reading joins a body kept in chunks, and decodes it.
  if (message.text.length > message.body.length) {
    throw new Error("Cannot read a body: its text is longer than its bytes");
  }
}

/**
 * Fresh, empty counters.
 *
 * @returns The counters.
 */
export function newClientFuzzStats(): ClientFuzzStats {
  return {
    sessions: 0,
    connected: 0,
    connectFailed: 0,
    reconnecting: 0,
    connections: 0,
    bytesSent: 0,
    server: {},
    operations: {},
    messages: {},
    hookCalls: 0,
    hookThrows: 0,
    consoleErrors: 0,
    latestPastTimeout: 0,
    maxHeapUsed: 0,
    maxRss: 0,
    maxRssSession: -1,
    maxHeapGrowth: { index: -1, bytes: 0 },
    maxRssGrowth: { index: -1, bytes: 0 },
    slowest: { index: -1, ms: 0 },
  };
}

/**
 * Runs `count` sessions from `from`, `jobs` at a time, stopping at the first
 * broken rule unless `keepGoing`. An uncaught error that names no session
 * while several ran is charged to each of them, then each is run alone to
 * find the one that repeats it.
 *
 * @param options Count, seed, first index, jobs, hooks, bounds, rules.
 * @returns The counters and the failures.
 */
export async function runClientFuzz(
  options: ClientFuzzOptions,
): Promise<ClientFuzzReport> {
  const stats = newClientFuzzStats();
  const skip = new Set(options.skip ?? []);
  const run: Run = {
    options,
    skip,
    slack: options.slack ?? 1500,
    stats,
    live: new Map(),
  };
  const failures: ClientFuzzFailure[] = [];
  /** Failures charged to several sessions at once, by index. */
  const unattributed = new Set<number>();
  let lastIndex = options.from ?? 0;
  const fail = (index: number, rule: Rule, message: string) => {
    if (skip.has(rule)) return;
    const session = run.live.get(index);
    if (session !== undefined) session.violate(rule, message);
    else {
      failures.push({
        seed: options.seed,
        index,
        rule,
        message: `${message} (after the session ended)`,
        attributed: true,
        replay: replayFlags(options, index),
      });
    }
  };
  const uncaught = (what: string, error: unknown) => {
    const text = describe(error);
    const mark = MARK.exec(text);
    if (mark !== null) {
      fail(Number(mark[1]), "uncaught", `${what}: ${text}`);
      return;
    }
    const live = [...run.live.keys()];
    if (live.length === 0) live.push(lastIndex);
    for (const index of live) {
      if (live.length > 1) unattributed.add(index);
      fail(index, "uncaught", `${what}: ${text}`);
    }
  };
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    uncaught("uncaught error", event.error ?? event.message);
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    uncaught("unhandled rejection", event.reason);
  };
  const maxHeap = (options.maxHeapMiB ?? 256) * MiB;
  const maxRss = (options.maxRssMiB ?? 768) * MiB;
  let memoryFailed = false;
  const sample = () => {
    const { heapUsed, rss } = Deno.memoryUsage();
    stats.maxHeapUsed = Math.max(stats.maxHeapUsed, heapUsed);
    if (rss > stats.maxRss) {
      stats.maxRss = rss;
      stats.maxRssSession = [...run.live.keys()][0] ?? lastIndex;
    }
    for (const session of run.live.values()) {
      const heapGrowth = heapUsed - session.startHeap;
      if (heapGrowth > stats.maxHeapGrowth.bytes) {
        stats.maxHeapGrowth = { index: session.index, bytes: heapGrowth };
      }
      const rssGrowth = rss - session.startRss;
      if (rssGrowth > stats.maxRssGrowth.bytes) {
        stats.maxRssGrowth = { index: session.index, bytes: rssGrowth };
      }
    }
    if ((heapUsed > maxHeap || rss > maxRss) && !memoryFailed) {
      memoryFailed = true;
      const live = [...run.live.keys()];
      for (const index of live.length > 0 ? live : [lastIndex]) {
        fail(
          index,
          "memory",
          `heapUsed ${(heapUsed / MiB).toFixed(0)} MiB, rss ${
            (rss / MiB).toFixed(0)
          } MiB: over the bounds of ${maxHeap / MiB} and ${
            maxRss / MiB
          } MiB (sessions running: ${live.join(", ")})`,
        );
      }
    }
  };
  // The client's own console.error lines: counted, charged to a session.
  const printed = new Map<number, number>();
  const consoleError = console.error;
  console.error = (...args: unknown[]) => {
    const line = args.map(String).join(" ");
    if (!line.startsWith("stomper:")) return consoleError(...args);
    stats.consoleErrors++;
    if (options.verbose) consoleError(...args);
    const mark = MARK.exec(line);
    const charged = mark !== null ? [Number(mark[1])] : [...run.live.keys()];
    for (const index of charged) {
      const lines = (printed.get(index) ?? 0) + 1;
      printed.set(index, lines);
      if (lines === 2) {
        fail(index, "console", `a second console.error line: ${line}`);
      }
    }
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onRejection);
  const sampler = setInterval(sample, 20);
  try {
    const from = options.from ?? 0;
    const jobs = Math.max(1, Math.min(options.jobs ?? 8, options.count));
    let next = 0;
    let done = 0;
    let stop = false;
    const worker = async () => {
      while (!stop && next < options.count) {
        const index = from + next++;
        const started = performance.now();
        const session = await runSession(run, index);
        lastIndex = index;
        const ms = performance.now() - started;
        if (ms > stats.slowest.ms) stats.slowest = { index, ms };
        sample();
        for (const { rule, message } of session.violations) {
          failures.push({
            seed: options.seed,
            index,
            rule,
            message,
            attributed: !unattributed.has(index),
            replay: replayFlags(options, index),
          });
        }
        if (failures.length > 0 && !options.keepGoing) stop = true;
        options.onProgress?.(++done, stats);
      }
    };
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    clearInterval(sampler);
    console.error = consoleError;
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  }
  // Charged to several sessions: run each alone to find who repeats it.
  const confirmed: ClientFuzzFailure[] = [];
  const retried = new Map<number, boolean>();
  for (const failure of failures) {
    if (failure.attributed) {
      confirmed.push(failure);
      continue;
    }
    let repeats = retried.get(failure.index);
    if (repeats === undefined) {
      const { onProgress: _, ...quiet } = options;
      const alone = await runClientFuzz({
        ...quiet,
        from: failure.index,
        count: 1,
        jobs: 1,
        keepGoing: true,
      });
      repeats = alone.failures.some((f) => f.rule === failure.rule);
      retried.set(failure.index, repeats);
    }
    if (repeats) confirmed.push({ ...failure, attributed: true });
    else if (!confirmed.some((f) => f.rule === failure.rule)) {
      // Nobody repeats it alone: keep one, marked as such.
      confirmed.push(failure);
    }
  }
  return {
    stats,
    failures: options.keepGoing ? confirmed : confirmed.slice(0, 1),
  };
}
