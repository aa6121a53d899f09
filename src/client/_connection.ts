// One connection: a transport and what lives and dies with it. It is opened
// within a timeout and until a signal aborts (ConnectAttempt), reads and
// decodes frames (pausing while a subscription's buffer is full), writes the
// outgoing queue in order (several frames per write where the transport
// allows), and keeps heart-beats both ways. It calls nothing of the client
// but its three handlers; the client drives the handshake.

import { concat } from "@std/bytes";
import { type DecodeLimitOptions, StompDecoder } from "../decoder.ts";
import type { StompFrame, StompVersion } from "../frame.ts";
import type { StompTransport } from "../transports/transport.ts";
import { WebSocketClosedError } from "../transports/errors.ts";
import { type MessageSender, messageSender } from "../transports/_messages.ts";
import { tcpSchemeIsTls, websocketPortHint } from "../transports/_url.ts";
import { redactUrl } from "../_redact.ts";
import { StompConnectionError } from "./errors.ts";
import type { StompTimers } from "./options.ts";
import {
  BATCH_BYTES,
  type FrameEntry,
  type Outbox,
  type Outgoing,
  type SendEntry,
} from "./_outbox.ts";
import { notText } from "./_sends.ts";
import { encodeWhole } from "./_encoding.ts";
import { UnconfirmedWindow } from "./_unconfirmed.ts";
import type { NegotiatedHeartBeat } from "./session.ts";
import { HeartBeatScheduler } from "../_heartbeat.ts";
import { asError, type Deferred, deferred, describe, noop } from "./_util.ts";
import { newStats, Wiretap, type WiretapOptions } from "./_wiretap.ts";

/** What a connection tells the client. */
export interface ConnectionHandlers {
  /** A frame arrived; throwing a StompConnectionError ends the connection. */
  frame(connection: Connection, frame: StompFrame): void;
  /**
   * The connection ended (called once), with why: a `StompConnectionError`,
   * or the `StompServerError` that refused the handshake.
   */
  lost(connection: Connection, error: Error): void;
  /** Whether to stop reading for now (a subscription's buffer is full). */
  mustPause(): boolean;
}

/** What a connection is configured with. */
export interface ConnectionOptions extends Partial<WiretapOptions> {
  readonly limits: DecodeLimitOptions;
  readonly timers: StompTimers;
  /** Heart-beat intervals the server may stay silent. */
  readonly grace: number;
  /** The decoder's `bodyChunks` option (the client option of that name). */
  readonly bodyChunks?: boolean | undefined;
  /**
   * Over an unpaced transport, the bytes that may be written unconfirmed
   * (the client option of that name); unset or Infinity: no bound.
   */
  readonly unconfirmedBytes?: number | undefined;
  /** The URL connected to, if known: named when the server is no STOMP one. */
  readonly url?: URL | undefined;
}

/**
 * One attempt to connect: opening the transport, then the handshake, all
 * within `timeout` ms (0 is for ever) and until `signal` aborts. The client
 * drives the phases; the attempt ends whichever is running, and
 * {@linkcode ConnectAttempt.end} disarms it.
 */
export class ConnectAttempt {
  readonly #timers: StompTimers;
  readonly #signal: AbortSignal | undefined;
  /** Rejected by the timeout or the signal: ends whichever phase is running. */
  readonly #stop = deferred<never>();
  /** Tells `open` (a beforeConnect hook, a transport function) to give up. */
  readonly #abort = new AbortController();
  readonly #timer: unknown;
  readonly #onAbort: (() => void) | undefined;
  #connection: Connection | undefined;

  /**
   * @param where The URL being connected to, once known, and whether the
   * `beforeConnect` hook is running (named in the timeout's message).
   */
  constructor(
    timeout: number,
    signal: AbortSignal | undefined,
    timers: StompTimers,
    where: AttemptTarget = { url: undefined, hooking: false },
  ) {
    if (signal?.aborted) {
      throw new StompConnectionError("Connection attempt aborted", {
        cause: signal.reason,
      });
    }
    this.#timers = timers;
    this.#signal = signal;
    this.#stop.promise.catch(noop);
    this.#timer = timeout === 0 ? undefined : timers.setTimeout(
      () => this.#fail(timedOut(timeout, where, this.#connection)),
      timeout,
    );
    if (signal !== undefined) {
      this.#onAbort = () =>
        this.#fail(
          new StompConnectionError("Connection attempt aborted", {
            cause: signal.reason,
          }),
        );
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /**
   * Opens the transport with `open` and makes the connection over it with
   * `make`. Rejects with a `StompConnectionError`; a transport that comes
   * after the timeout or the abort is closed when it comes.
   */
  async open(
    open: (signal: AbortSignal) => StompTransport | Promise<StompTransport>,
    make: (transport: StompTransport) => Connection,
  ): Promise<Connection> {
    const opening = (async () => await open(this.#abort.signal))();
    let transport: StompTransport;
    try {
      transport = await Promise.race([opening, this.#stop.promise]);
    } catch (cause) {
      // Given up before the transport came: close it when it does.
      opening.then((late) => late.close(), noop);
      if (cause instanceof StompConnectionError) throw cause;
      // openTransport's messages already say what failed ("Cannot open
      // transport: ...", "Cannot connect to <url>: ..."): said once.
      const detail = describe(cause);
      throw new StompConnectionError(
        /^Cannot /.test(detail) ? detail : `Cannot open transport: ${detail}`,
        { cause },
      );
    }
    try {
      this.#connection = make(transport);
    } catch (cause) {
      transport.close();
      throw new StompConnectionError(
        `Cannot use transport: ${describe(cause)}`,
        { cause },
      );
    }
    return this.#connection;
  }

  /** The attempt is over (connected or failed): disarms the timer. */
  end(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener("abort", this.#onAbort);
    }
  }

  #fail(error: StompConnectionError): void {
    this.#stop.reject(error);
    this.#abort.abort(error);
    this.#connection?.lose(error);
  }
}

/** Where an attempt goes, as far as known yet. */
export interface AttemptTarget {
  /** The URL, once known. */
  readonly url: URL | undefined;
  /** Whether the `beforeConnect` hook is running. */
  readonly hooking: boolean;
}

/** The error of an attempt that did not connect within `timeout` ms. */
function timedOut(
  timeout: number,
  { url, hooking }: AttemptTarget,
  connection: Connection | undefined,
): StompConnectionError {
  if (hooking) {
    return new StompConnectionError(
      `Cannot connect: beforeConnect did not settle within ${timeout} ms (connectTimeout)`,
    );
  }
  const where = url === undefined ? "" : ` ${JSON.stringify(redactUrl(url))}`;
  return new StompConnectionError(
    connection === undefined
      ? `Cannot connect${
        where === "" ? "" : ` to${where}`
      } within ${timeout} ms: the transport did not open${
        url === undefined ? "" : websocketPortHint(url)
      }`
      : `No CONNECTED frame from${
        where === "" ? " the server" : where
      } within ${timeout} ms${
        connection.heardFrom
          ? ""
          : ": the connection opened, and the server sent nothing"
      }`,
  );
}

const EOL = new Uint8Array([0x0a]);

/**
 * How long, after a failed write, the read side may take to read what the
 * server sent before it closed (an ERROR is then already on the socket).
 */
const WRITE_FAILURE_GRACE_MS = 200;

export class Connection {
  readonly epoch: number;
  readonly transport: StompTransport;
  /**
   * The transport carries text only (a WebSocket sending text messages, as
   * over SockJS): a SEND whose body is not UTF-8 fails alone.
   */
  readonly textOnly: boolean;
  /** CONNECTED came (resolves), or the connection ended first (rejects). */
  readonly handshake: Deferred<void> = deferred<void>();
  version: StompVersion = "1.0";
  heartBeat: NegotiatedHeartBeat = { send: 0, receive: 0 };
  dead = false;
  error: Error | undefined;
  /** Resolves once the connection has ended. */
  readonly ended: Deferred<void> = deferred<void>();
  reading: Promise<void> = Promise.resolve();
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #sender: MessageSender | undefined;
  readonly #decoder: StompDecoder;
  readonly #coalesce: boolean;
  readonly #options: ConnectionOptions;
  readonly #handlers: ConnectionHandlers;
  readonly #wiretap: Wiretap;
  /** Gets each decoded frame: counts it (and traces it), then dispatches it. */
  readonly #onFrame: (frame: StompFrame) => void;
  readonly #heartBeats: HeartBeatScheduler;
  #paused = false;
  #flow: Deferred<void> | undefined;
  #outbox: Outbox | undefined;
  #pumping = false;
  /** Over an unpaced transport: what the server has not confirmed. */
  readonly #window: UnconfirmedWindow | undefined;
  /** The writer waits for the window (a heart-beat may go meanwhile). */
  #held = false;
  // A write deferred to the end of the task (see kick).
  #flush: ReturnType<typeof setTimeout> | undefined;
  /** The first bytes the server sent, until CONNECTED came. */
  #head: Uint8Array | undefined;
  #connected = false;
  /** A write failed: settles once the connection has ended (see #writeFailed). */
  #writeFailure: Promise<void> | undefined;

  constructor(
    epoch: number,
    transport: StompTransport,
    options: ConnectionOptions,
    handlers: ConnectionHandlers,
  ) {
    this.epoch = epoch;
    this.transport = transport;
    this.#options = options;
    this.#handlers = handlers;
    const unconfirmed = options.unconfirmedBytes ?? Infinity;
    this.#window = transport.unpaced === true && unconfirmed !== Infinity
      ? new UnconfirmedWindow(unconfirmed, options.timers)
      : undefined;
    // The window reads one frame per chunk.
    this.#coalesce = transport.coalesce === true && this.#window === undefined;
    this.textOnly =
      (transport as { messageType?: unknown }).messageType === "text";
    this.#writer = transport.writable.getWriter();
    this.#sender = messageSender(transport);
    this.#writer.closed.catch(noop);
    this.handshake.promise.catch(noop);
    // Until CONNECTED says otherwise nothing is unescaped: a pre-CONNECTED
    // ERROR (such as a Java message with backslashes) must stay readable.
    const stats = options.stats ?? newStats();
    const wiretap = this.#wiretap = new Wiretap(
      {
        stats,
        trace: options.trace,
        redact: options.redact,
        hooks: options.hooks,
      },
      epoch,
      () => this.#decoder.offset,
    );
    const tracing = wiretap.tracing;
    this.#decoder = new StompDecoder({
      ...options.limits,
      version: "1.0",
      ...(options.bodyChunks === true ? { bodyChunks: true } : {}),
      ...(tracing ? { onHeartbeat: () => wiretap.received(undefined) } : {}),
    });
    // Chosen once, so that without a trace a frame costs one more increment.
    this.#onFrame = !tracing
      ? (frame) => {
        stats.framesIn++;
        handlers.frame(this, frame);
      }
      : (frame) => {
        stats.framesIn++;
        wiretap.received(frame);
        handlers.frame(this, frame);
      };
    this.#heartBeats = new HeartBeatScheduler(options.timers, {
      beat: () => {
        // A write under way counts as one.
        if (this.#pumping && !this.#held) return false;
        this.#wiretap.sent(0, EOL.length, [EOL]);
        this.#write(EOL).catch(noop);
        return true;
      },
      silent: (silent, limit) =>
        this.lose(
          new StompConnectionError(
            `Server silent for ${
              Math.round(silent)
            } ms: heart-beats were due every ${this.heartBeat.receive} ms (grace ${options.grace}, limit ${limit} ms)`,
          ),
        ),
      paused: () => this.#paused,
    });
  }

  /**
   * The handshake: starts reading, writes CONNECT (or STOMP) and resolves
   * once {@linkcode Connection.established} is called for its CONNECTED;
   * rejects when the connection ends first.
   */
  async open(connect: StompFrame): Promise<void> {
    this.reading = this.#read();
    await this.writeFrame(connect);
    await this.handshake.promise;
  }

  /** CONNECTED came: speak its version, keep its heart-beats. */
  established(version: StompVersion, heartBeat: NegotiatedHeartBeat): void {
    this.version = version;
    this.#decoder.version = version;
    this.#wiretap.version = version;
    this.heartBeat = heartBeat;
    this.#connected = true;
    this.#heartBeats.start(heartBeat, this.#options.grace);
    this.handshake.resolve();
  }

  /**
   * Writes one frame now, ahead of the outgoing queue (CONNECT, and the
   * SUBSCRIBEs that restore subscriptions before what waited goes out).
   */
  async writeFrame(frame: StompFrame): Promise<void> {
    const bytes = encodeWhole(frame, this.version);
    if (!this.dead) this.#wiretap.sent(1, bytes.length, [bytes]);
    await this.#write(bytes);
  }

  /** From now on, writes what `outbox` holds, in order, as it comes. */
  drain(outbox: Outbox): void {
    this.#outbox = outbox;
    this.kick();
  }

  /**
   * Something was queued: write it once the current microtasks are done
   * (operations issued together go out in one write), or with `later`, once
   * the current task is done: acknowledgements made in a loop over buffered
   * messages, which resumes through microtasks, then share a write too.
   */
  kick(later = false): void {
    if (this.#pumping || this.dead || this.#outbox?.empty !== false) return;
    if (later) {
      if (this.#flush === undefined) {
        this.#flush = setTimeout(() => {
          this.#flush = undefined;
          this.kick();
        }, 0);
      }
      return;
    }
    if (this.#flush !== undefined) {
      clearTimeout(this.#flush);
      this.#flush = undefined;
    }
    this.#pumping = true;
    queueMicrotask(() => this.#pump());
  }

  /**
   * A RECEIPT no operation waited for came: one the window asked, if it
   * names it.
   */
  confirmed(id: string): void {
    this.#window?.receipt(id);
  }

  /** Whether reading waits for room in a subscription's buffer. */
  get paused(): boolean {
    return this.#paused;
  }

  /** A subscription's buffer has room again (or ended): read on. */
  resume(): void {
    const flow = this.#flow;
    if (flow === undefined) return;
    this.#flow = undefined;
    flow.resolve();
  }

  /** Ends the connection: stops its timers, closes the transport. */
  lose(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.error = error;
    if (this.#flush !== undefined) clearTimeout(this.#flush);
    this.#heartBeats.stop();
    this.#window?.end();
    try {
      this.transport.close();
    } catch {
      // Closed already (a transport that closes itself on error).
    }
    this.handshake.reject(error);
    this.resume();
    this.#handlers.lost(this, error);
    this.ended.resolve();
  }

  async #pump(): Promise<void> {
    const outbox = this.#outbox!;
    const window = this.#window;
    try {
      while (!this.dead) {
        if (window?.holding === true) {
          this.#held = true;
          await window.wait();
          this.#held = false;
          continue;
        }
        const entries: Outgoing[] = [];
        const chunks: Uint8Array[] = [];
        let bytes = 0;
        let frames = 0;
        while (bytes < BATCH_BYTES) {
          const entry = outbox.shift();
          if (entry === undefined) break;
          if (entry.skip?.(this.epoch) === true) {
            entries.push(entry);
            continue;
          }
          if (entry.kind === "batch") {
            const batch = entry.batch;
            if (batch.used === 0) continue;
            entries.push(entry);
            if (this.#coalesce) {
              this.#gather(chunks, batch.buffer.subarray(0, batch.used));
            } else {
              let start = 0;
              for (const end of batch.ends) {
                chunks.push(batch.buffer.subarray(start, end));
                start = end;
              }
            }
            bytes += batch.used;
            frames += batch.ends.length;
            continue;
          }
          let chunk: Uint8Array;
          try {
            if (this.textOnly) refuseBinary(entry);
            chunk = outbox.bytesOf(entry, this.version);
          } catch (error) {
            outbox.discard(entry, asError(error));
            continue;
          }
          entries.push(entry);
          if (this.#coalesce) this.#gather(chunks, chunk);
          else chunks.push(chunk);
          bytes += chunk.length;
          frames++;
        }
        if (entries.length === 0) break;
        // Counted as written from here: a failed write loses the connection,
        // and whatever asked for a receipt fails with it.
        outbox.written(entries, this.epoch);
        if (chunks.length === 0) continue;
        if (window !== undefined) bytes += window.count(chunks);
        this.#wiretap.sent(frames, bytes, chunks);
        this.#heartBeats.sent();
        if (this.#coalesce) {
          await this.#write(chunks.length === 1 ? chunks[0]! : concat(chunks));
        } else if (!(await this.#writeMessages(chunks))) {
          // One frame per chunk (a WebSocket message each); the stream
          // queues them in order.
          for (let i = 0; i < chunks.length - 1; i++) {
            this.#writer.write(chunks[i]!).catch(noop);
          }
          await this.#write(chunks[chunks.length - 1]!);
        }
      }
    } catch {
      // The connection is lost; #write has told the client.
    } finally {
      this.#pumping = false;
    }
    // Queued while the last write was in flight.
    this.kick();
  }

  /**
   * Adds a chunk to a write, joined to the one before when it follows it in
   * the same buffer (consecutive batches and frames of one arena), so that
   * the write needs no copy.
   */
  #gather(chunks: Uint8Array[], chunk: Uint8Array): void {
    const last = chunks.length - 1;
    const before = chunks[last];
    if (
      before !== undefined && before.buffer === chunk.buffer &&
      before.byteOffset + before.length === chunk.byteOffset
    ) {
      chunks[last] = new Uint8Array(
        chunk.buffer,
        before.byteOffset,
        before.length + chunk.length,
      );
    } else chunks.push(chunk);
  }

  /**
   * Writes one message per chunk through the transport's own sender, if it
   * has one and can send now; false if the caller must use `writable`.
   */
  async #writeMessages(chunks: readonly Uint8Array[]): Promise<boolean> {
    const sent = this.#sender?.(chunks);
    if (sent === undefined || sent === false) return false;
    try {
      await sent;
    } catch (cause) {
      await this.#writeFailed(cause);
    }
    return true;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (this.dead) throw this.error;
    this.#heartBeats.sent();
    try {
      await this.#writer.write(bytes);
    } catch (cause) {
      await this.#writeFailed(cause);
    }
  }

  /**
   * A write failed, most often because the server closed the connection
   * (EPIPE, ECONNRESET), perhaps after an ERROR that is still to be read:
   * the read side gets a short while to read it, so that the connection
   * ends with the server's reason rather than with the write's failure.
   * Every failed write waits for the same outcome, then throws it.
   */
  async #writeFailed(cause: unknown): Promise<never> {
    this.#writeFailure ??= this.#afterWriteFailure(cause);
    await this.#writeFailure;
    throw this.error;
  }

  async #afterWriteFailure(cause: unknown): Promise<void> {
    if (!this.dead) {
      const timers = this.#options.timers;
      let timer: unknown;
      await Promise.race([
        this.reading,
        new Promise<void>((resolve) => {
          timer = timers.setTimeout(resolve, WRITE_FAILURE_GRACE_MS);
        }),
      ]);
      timers.clearTimeout(timer);
    }
    // Nothing came to end it: the write's failure does.
    this.lose(
      new StompConnectionError(
        `Connection lost while sending: ${describe(cause)}`,
        { cause },
      ),
    );
  }

  /**
   * The reason a WebSocket's close gave, when it gave one (RabbitMQ's
   * Web-STOMP closes with "STOMP died" where it sends no ERROR, as for a SEND
   * to an exchange that does not exist); else "".
   */
  /** Whether the server sent any byte before CONNECTED was due. */
  get heardFrom(): boolean {
    return this.#head !== undefined || this.#connected;
  }

  async #closeReason(): Promise<string> {
    const closed = (this.transport as {
      closed?: Promise<{ code: number; reason: string }>;
    }).closed;
    if (!(closed instanceof Promise)) return "";
    // Settled with the close event that ended `readable`: read it, not wait.
    const info = await Promise.race([closed, undefined]).catch(() => {});
    return info?.reason
      ? ` (WebSocket close ${info.code}: "${info.reason}")`
      : "";
  }

  async #read(): Promise<void> {
    let reader: ReadableStreamDefaultReader<Uint8Array>;
    try {
      reader = this.transport.readable.getReader();
    } catch (cause) {
      this.lose(
        new StompConnectionError(`Cannot read transport: ${describe(cause)}`, {
          cause,
        }),
      );
      return;
    }
    try {
      while (!this.dead) {
        if (this.#handlers.mustPause()) {
          this.#paused = true;
          this.#flow ??= deferred<void>();
          await this.#flow.promise;
          this.#paused = false;
          this.#heartBeats.received();
          continue;
        }
        const { value, done } = await reader.read();
        if (this.dead) break;
        if (done) {
          this.lose(
            new StompConnectionError(
              (this.#decoder.buffered > 0
                ? "The server closed the connection in the middle of a frame"
                : "The server closed the connection") +
                await this.#closeReason(),
            ),
          );
          break;
        }
        this.#heartBeats.received();
        this.#wiretap.read(value.length);
        const head = this.#connected
          ? undefined
          : this.#head ??= value.slice(0, 5);
        try {
          this.#decoder.decode(value, this.#onFrame);
        } catch (cause) {
          if (cause instanceof StompConnectionError) throw cause;
          throw new StompConnectionError(
            (head === undefined
              ? undefined
              : notStomp(head, this.#options.url)) ??
              `Cannot decode data from the server: ${describe(cause)}${
                limitHint(describe(cause))
              }`,
            { cause },
          );
        }
        // A TLS record need not be a syntax error yet: never wait for more.
        const tls = head === undefined
          ? undefined
          : notStomp(head, this.#options.url, true);
        if (tls !== undefined) throw new StompConnectionError(tls);
      }
    } catch (cause) {
      this.lose(
        cause instanceof StompConnectionError
          ? cause
          : new StompConnectionError(
            // A WebSocket's close says "Connection lost: ..." itself.
            cause instanceof WebSocketClosedError
              ? describe(cause)
              : `Transport failed while reading: ${describe(cause)}`,
            { cause },
          ),
      );
    } finally {
      try {
        reader.releaseLock();
      } catch {
        // Nothing to release: the stream is gone with the transport.
      }
    }
  }
}

/**
 * Throws the `TypeError` for a SEND queued with a body that is not UTF-8,
 * which a transport that carries text only cannot send.
 */
function refuseBinary(entry: SendEntry | FrameEntry): void {
  const frame = entry.kind === "frame" && typeof entry.frame !== "function"
    ? entry.frame
    : undefined;
  const body = entry.kind === "send" ? entry.body : frame?.body;
  if (entry.text !== undefined || body === undefined) return;
  const destination = entry.kind === "send"
    ? entry.list[1]!
    : frame?.headers.get("destination") ?? "";
  const refused = notText(destination, body);
  if (refused !== undefined) throw refused;
}

/**
 * For the first bytes a server sent before CONNECTED, when they say it is no
 * STOMP server: a TLS record (a TLS port reached over plain TCP) or an HTTP
 * response (a WebSocket endpoint reached over TCP), what to connect with
 * instead; else `undefined`. `tlsOnly`: a TLS record only.
 */
function notStomp(
  head: Uint8Array,
  url: URL | undefined,
  tlsOnly = false,
): string | undefined {
  const where = url === undefined
    ? "Cannot connect: the server"
    : `Cannot connect to ${JSON.stringify(redactUrl(url))}: the port`;
  // A TLS alert (0x15) or handshake (0x16) record, of version 3.x.
  if ((head[0] === 0x15 || head[0] === 0x16) && head[1] === 0x03) {
    const use = url === undefined || tcpSchemeIsTls(url.protocol) !== false
      ? "connect over TLS"
      : `use ${JSON.stringify(`tls://${url.host}`)}`;
    return `${where} speaks TLS (it answered with a TLS record): ${use}`;
  }
  if (tlsOnly) return undefined;
  const text = new TextDecoder().decode(head);
  // RabbitMQ's AMQP port (5672) answers with AMQP's protocol header.
  if (text.startsWith("AMQP")) {
    return `${where} speaks AMQP (it answered with an AMQP protocol header): STOMP is on another port (RabbitMQ's is 61613)`;
  }
  if (text === "HTTP/") {
    return `${where} speaks HTTP (it answered with an HTTP response): a WebSocket endpoint takes a ws:// URL with its path${
      url === undefined || tcpSchemeIsTls(url.protocol) === undefined
        ? ""
        : `, such as ${
          JSON.stringify(
            `${tcpSchemeIsTls(url.protocol) ? "wss" : "ws"}://${url.host}/ws`,
          )
        }`
    }`;
  }
  return undefined;
}

/**
 * For a frame over one of the decoder's limits, which client option raises
 * it (the message would otherwise name only the decoder's limit).
 */
function limitHint(message: string): string {
  // The headers' count says "more than 1000 headers", not "limit".
  const limit = message.startsWith("Frame has more than")
    ? "maxHeaders"
    : !message.includes("limit")
    ? undefined
    : message.startsWith("Frame body") ||
        message.startsWith("Frame content-length")
    ? "maxBodyBytes"
    : message.startsWith("Header line")
    ? "maxHeaderLineBytes"
    : message.startsWith("Header block")
    ? "maxHeaderBytes"
    : undefined;
  if (limit === undefined) return "";
  return ` (raise it with the client option decodeLimits: { ${limit} }${
    limit === "maxBodyBytes"
      ? "; a stomper sender's maxSendBodyBytes to match"
      : ""
  })`;
}
