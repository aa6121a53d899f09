// One connection: a transport and what lives and dies with it. It is opened
// within a timeout and until a signal aborts, reads and decodes frames
// (pausing while a subscription's buffer is full), writes the outgoing queue
// in order (several frames per write where the transport allows), and keeps
// heart-beats both ways.

import { concat } from "@std/bytes";
import { type DecodeLimits, StompDecoder } from "../decoder.ts";
import { encodeFrame } from "../encoder.ts";
import { StompFrame, type StompVersion } from "../frame.ts";
import { StompHeaders } from "../headers.ts";
import { encodePlainInto, plainFrameBound } from "../_plain.ts";
import type { StompTransport } from "../transports/transport.ts";
import { type MessageSender, messageSender } from "../transports/_messages.ts";
import { StompConnectionError } from "./errors.ts";
import type { StompTimers } from "./options.ts";
import { BATCH_BYTES, type Outbox, type Outgoing } from "./_outbox.ts";
import type { NegotiatedHeartBeat } from "./session.ts";
import {
  asError,
  type Deferred,
  deferred,
  describe,
  noop,
  report,
} from "./_util.ts";
import {
  redactFrame,
  type StompClientStats,
  type StompTraceEvent,
} from "./trace.ts";

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
export interface ConnectionOptions {
  readonly limits: Partial<DecodeLimits>;
  readonly timers: StompTimers;
  /** Heart-beat intervals the server may stay silent. */
  readonly grace: number;
  /** Where the counters go: the client's, across its connections. */
  readonly stats?: ConnectionStats | undefined;
  /** Called with each frame and heart-beat in and out (the `trace` option). */
  readonly trace?: ((event: StompTraceEvent) => void) | undefined;
  /** More header names the trace hides (the `redactHeaders` option). */
  readonly redact?: readonly string[] | undefined;
  /** The decoder's `bodyChunks` option (the client option of that name). */
  readonly bodyChunks?: boolean | undefined;
}

/** The counters of `StompClient.stats`, as the client and connections keep them. */
export type ConnectionStats = {
  -readonly [K in keyof StompClientStats]: StompClientStats[K];
};

/** Counters at zero. */
export function newStats(): ConnectionStats {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    messages: 0,
    unhandled: 0,
    acks: 0,
    nacks: 0,
    reconnects: 0,
    lastReceivedAt: undefined,
  };
}

/** How {@linkcode openConnection} opens one. */
export interface OpenConnectionOptions extends ConnectionOptions {
  /** The number of the connection. */
  readonly epoch: number;
  /** Milliseconds from opening the transport to CONNECTED; 0 is for ever. */
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  /**
   * Called with the new connection before it reads: returns the CONNECT
   * frame (or throws, when the client closed meanwhile).
   */
  readonly start: (connection: Connection) => StompFrame;
  /** Called after CONNECTED, to re-subscribe. */
  readonly restore: (connection: Connection) => Promise<void>;
}

/**
 * Opens a transport with `open`, writes CONNECT and waits for CONNECTED,
 * then lets `restore` re-subscribe: the connection, ready for the outgoing
 * queue. Rejects with a `StompConnectionError` (or the `StompServerError` of
 * a refusal); a transport that comes after the timeout or the abort is
 * closed when it comes.
 */
export async function openConnection(
  open: (signal: AbortSignal) => StompTransport | Promise<StompTransport>,
  options: OpenConnectionOptions,
  handlers: ConnectionHandlers,
): Promise<Connection> {
  const { signal, timeout: ms, timers } = options;
  if (signal?.aborted) {
    throw new StompConnectionError("Connection attempt aborted", {
      cause: signal.reason,
    });
  }
  // Rejected by the timeout or the signal: ends whichever phase is running.
  const stop = deferred<never>();
  stop.promise.catch(noop);
  // Tells `open` (a beforeConnect hook, a transport function) to give up.
  const attempt = new AbortController();
  let connection: Connection | undefined;
  const fail = (error: StompConnectionError) => {
    stop.reject(error);
    attempt.abort(error);
    connection?.lose(error);
  };
  const timer = ms === 0 ? undefined : timers.setTimeout(
    () =>
      fail(
        new StompConnectionError(
          connection === undefined
            ? `Cannot connect within ${ms} ms: the transport did not open`
            : `No CONNECTED frame within ${ms} ms`,
        ),
      ),
    ms,
  );
  const onAbort = () =>
    fail(
      new StompConnectionError("Connection attempt aborted", {
        cause: signal!.reason,
      }),
    );
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const opening = (async () => await open(attempt.signal))();
    let transport: StompTransport;
    try {
      transport = await Promise.race([opening, stop.promise]);
    } catch (cause) {
      // Given up before the transport came: close it when it does.
      opening.then((late) => late.close(), noop);
      if (cause instanceof StompConnectionError) throw cause;
      // openTransport's own messages already say so.
      const detail = describe(cause).replace(/^Cannot open transport: /, "");
      throw new StompConnectionError(`Cannot open transport: ${detail}`, {
        cause,
      });
    }
    try {
      connection = new Connection(options.epoch, transport, options, handlers);
    } catch (cause) {
      transport.close();
      throw new StompConnectionError(
        `Cannot use transport: ${describe(cause)}`,
        { cause },
      );
    }
    let connect: StompFrame;
    try {
      connect = options.start(connection);
    } catch (error) {
      transport.close();
      throw error;
    }
    connection.start();
    await connection.writeFrame(connect);
    await connection.handshake.promise;
    await options.restore(connection);
    // Lost right after CONNECTED (in the same chunk, say): not connected.
    if (connection.dead) throw connection.error;
    return connection;
  } finally {
    if (timer !== undefined) timers.clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

const EOL = new Uint8Array([0x0a]);
// What we wrote is decoded again for the trace: it is ours, so no limit.
const NO_LIMIT = Number.MAX_SAFE_INTEGER;
// Heart-beats go out once the link has been idle for this share of the
// interval, so timer lateness never makes us miss the server's deadline.
const HEARTBEAT_EARLY = 0.8;

export class Connection {
  readonly epoch: number;
  readonly transport: StompTransport;
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
  readonly #stats: ConnectionStats;
  /** Gets each decoded frame: counts it (and traces it), then dispatches it. */
  readonly #onFrame: (frame: StompFrame) => void;
  readonly #trace: ((event: StompTraceEvent) => void) | undefined;
  /** With `trace`: decodes again what is written, to trace it exactly. */
  #traceDecoder: StompDecoder | undefined;
  /** With `trace`: where the last event traced in and out ended. */
  #inMark = 0;
  #outMark = 0;
  #lastReceived: number;
  #lastSent: number;
  #paused = false;
  #flow: Deferred<void> | undefined;
  #sendTimer: unknown;
  #receiveTimer: unknown;
  #outbox: Outbox | undefined;
  #pumping = false;
  // A write deferred to the end of the task (see kick).
  #flush: ReturnType<typeof setTimeout> | undefined;

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
    this.#coalesce = transport.coalesce === true;
    this.#writer = transport.writable.getWriter();
    this.#sender = messageSender(transport);
    this.#writer.closed.catch(noop);
    this.handshake.promise.catch(noop);
    // Until CONNECTED says otherwise nothing is unescaped: a pre-CONNECTED
    // ERROR (such as a Java message with backslashes) must stay readable.
    const stats = this.#stats = options.stats ?? newStats();
    const trace = this.#trace = options.trace;
    this.#decoder = new StompDecoder({
      ...options.limits,
      version: "1.0",
      ...(options.bodyChunks === true ? { bodyChunks: true } : {}),
      ...(trace === undefined
        ? {}
        : { onHeartbeat: () => this.#tracedIn(undefined) }),
    });
    // Chosen once, so that without a trace a frame costs one more increment.
    this.#onFrame = trace === undefined
      ? (frame) => {
        stats.framesIn++;
        handlers.frame(this, frame);
      }
      : (frame) => {
        stats.framesIn++;
        this.#tracedIn(frame);
        handlers.frame(this, frame);
      };
    if (trace !== undefined) this.#traceDecoder = this.#newTraceDecoder();
    const now = options.timers.now();
    this.#lastReceived = now;
    this.#lastSent = now;
  }

  /** Starts reading. */
  start(): void {
    this.reading = this.#read();
  }

  /** CONNECTED came: speak its version, keep its heart-beats. */
  established(version: StompVersion, heartBeat: NegotiatedHeartBeat): void {
    this.version = version;
    this.#decoder.version = version;
    if (this.#traceDecoder !== undefined) this.#traceDecoder.version = version;
    this.heartBeat = heartBeat;
    this.#startHeartBeats();
    this.handshake.resolve();
  }

  /** Writes one frame now, ahead of the outgoing queue (CONNECT). */
  async writeFrame(frame: StompFrame): Promise<void> {
    const bytes = encodeFrame(frame, { version: this.version });
    if (!this.dead) this.#sent(1, bytes.length, [bytes]);
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
    const timers = this.#options.timers;
    if (this.#sendTimer !== undefined) timers.clearTimeout(this.#sendTimer);
    if (this.#receiveTimer !== undefined) {
      timers.clearTimeout(this.#receiveTimer);
    }
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
    try {
      while (!this.dead) {
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
          const batch = entry.batch;
          if (batch !== undefined) {
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
            chunk = entry.bytes !== undefined && entry.version === this.version
              ? entry.bytes
              : this.#encode(outbox, entry);
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
        this.#sent(frames, bytes, chunks);
        this.#lastSent = this.#options.timers.now();
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
   * Encodes a frame that was queued unencoded, at its turn: a plain one
   * straight into the outbox's arena (text bodies too, without a buffer of
   * their own), any other for this connection's version, which throws for a
   * frame the version cannot carry (it then fails alone, unwritten).
   */
  #encode(outbox: Outbox, entry: Outgoing): Uint8Array {
    const lean = entry.list;
    const built = lean === undefined
      ? typeof entry.frame === "function" ? entry.frame() : entry.frame
      : undefined;
    const command = built?.command ?? "SEND";
    const body = entry.text ?? entry.body ?? built!.body;
    const list = lean ?? StompHeaders.flat(built!.headers);
    // Written now, on this connection: escaped for its version if need be.
    const version = this.version;
    const room = outbox.carve(plainFrameBound(command, list, body, version));
    const end = encodePlainInto(
      room,
      0,
      command,
      list,
      body,
      version,
      entry.lengthless !== true,
    );
    if (end !== -1) {
      outbox.carved(end);
      return room.subarray(0, end);
    }
    const frame = built ??
      (typeof entry.frame === "function" ? entry.frame() : entry.frame);
    return encodeFrame(
      entry.text === undefined
        ? frame
        : new StompFrame(frame.command, frame.headers, entry.text),
      { version: this.version, contentLength: entry.lengthless !== true },
    );
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

  /** Counts what is about to be written, and traces it. */
  #sent(frames: number, bytes: number, chunks: readonly Uint8Array[]): void {
    const stats = this.#stats;
    stats.framesOut += frames;
    stats.bytesOut += bytes;
    if (this.#trace === undefined) return;
    const decoder = this.#traceDecoder!;
    try {
      for (const chunk of chunks) {
        decoder.decode(chunk, (frame) => this.#tracedOut(frame));
      }
    } catch (error) {
      // Never for bytes our encoder made; should it happen, the trace says
      // so and starts again with the next write.
      report(error);
      this.#traceDecoder = this.#newTraceDecoder();
      this.#outMark = 0;
    }
  }

  #newTraceDecoder(): StompDecoder {
    return new StompDecoder({
      version: this.version,
      maxHeaderLineBytes: NO_LIMIT,
      maxHeaderBytes: NO_LIMIT,
      maxHeaders: NO_LIMIT,
      maxBodyBytes: NO_LIMIT,
      onHeartbeat: () => this.#tracedOut(undefined),
    });
  }

  /** A frame (or with `undefined` a heart-beat) was decoded from the server. */
  #tracedIn(frame: StompFrame | undefined): void {
    const at = this.#decoder.offset;
    const bytes = at - this.#inMark;
    this.#inMark = at;
    this.#traced("in", frame, bytes);
  }

  /** A frame (or a heart-beat) was decoded from what is being written. */
  #tracedOut(frame: StompFrame | undefined): void {
    const at = this.#traceDecoder!.offset;
    const bytes = at - this.#outMark;
    this.#outMark = at;
    this.#traced("out", frame, bytes);
  }

  #traced(
    direction: "in" | "out",
    frame: StompFrame | undefined,
    bytes: number,
  ): void {
    try {
      this.#trace!({
        direction,
        frame: frame === undefined
          ? undefined
          : redactFrame(frame, this.#options.redact),
        bytes,
        connection: this.epoch,
      });
    } catch (error) {
      // The hook's failure is its own: the connection goes on.
      report(error);
    }
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
      this.lose(
        new StompConnectionError(
          `Connection lost while sending: ${describe(cause)}`,
          { cause },
        ),
      );
      throw this.error;
    }
    return true;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (this.dead) throw this.error;
    this.#lastSent = this.#options.timers.now();
    try {
      await this.#writer.write(bytes);
    } catch (cause) {
      this.lose(
        new StompConnectionError(
          `Connection lost while sending: ${describe(cause)}`,
          { cause },
        ),
      );
      throw this.error;
    }
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
    const timers = this.#options.timers;
    try {
      while (!this.dead) {
        if (this.#handlers.mustPause()) {
          this.#paused = true;
          this.#flow ??= deferred<void>();
          await this.#flow.promise;
          this.#paused = false;
          this.#lastReceived = timers.now();
          continue;
        }
        const { value, done } = await reader.read();
        if (this.dead) break;
        if (done) {
          this.lose(
            new StompConnectionError(
              this.#decoder.buffered > 0
                ? "The server closed the connection in the middle of a frame"
                : "The server closed the connection",
            ),
          );
          break;
        }
        this.#lastReceived = timers.now();
        const stats = this.#stats;
        stats.bytesIn += value.length;
        stats.lastReceivedAt = Date.now();
        try {
          this.#decoder.decode(value, this.#onFrame);
        } catch (cause) {
          if (cause instanceof StompConnectionError) throw cause;
          throw new StompConnectionError(
            `Cannot decode data from the server: ${describe(cause)}${
              limitHint(describe(cause))
            }`,
            { cause },
          );
        }
      }
    } catch (cause) {
      this.lose(
        cause instanceof StompConnectionError
          ? cause
          : new StompConnectionError(
            `Transport failed while reading: ${describe(cause)}`,
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

  #startHeartBeats(): void {
    const timers = this.#options.timers;
    const { send, receive } = this.heartBeat;
    if (send > 0) {
      const due = send * HEARTBEAT_EARLY;
      const tick = () => {
        if (this.dead) return;
        if (!this.#pumping && timers.now() - this.#lastSent >= due) {
          this.#sent(0, EOL.length, [EOL]);
          this.#write(EOL).catch(noop);
        }
        this.#sendTimer = timers.setTimeout(
          tick,
          Math.max(1, this.#lastSent + due - timers.now()),
        );
      };
      this.#sendTimer = timers.setTimeout(tick, due);
    }
    if (receive > 0) {
      const grace = this.#options.grace;
      const limit = Math.ceil(receive * grace);
      const check = () => {
        if (this.dead) return;
        const now = timers.now();
        // A paused reader leaves the server's bytes in the socket: that is
        // our doing, not the server's silence.
        if (this.#paused) this.#lastReceived = now;
        const silent = now - this.#lastReceived;
        if (silent >= limit) {
          this.lose(
            new StompConnectionError(
              `Server silent for ${
                Math.round(silent)
              } ms: heart-beats were due every ${receive} ms (grace ${grace}, limit ${limit} ms)`,
            ),
          );
          return;
        }
        this.#receiveTimer = timers.setTimeout(check, limit - silent);
      };
      this.#receiveTimer = timers.setTimeout(check, limit);
    }
  }
}

/**
 * For a frame over one of the decoder's limits, which client option raises
 * it (the message would otherwise name only the decoder's limit).
 */
function limitHint(message: string): string {
  const limit = message.startsWith("Frame body") ||
      message.startsWith("Frame content-length")
    ? "maxBodyBytes"
    : message.startsWith("Header line")
    ? "maxHeaderLineBytes"
    : message.startsWith("Header block")
    ? "maxHeaderBytes"
    : message.includes("headers")
    ? "maxHeaders"
    : undefined;
  if (limit === undefined || !message.includes("limit")) return "";
  return ` (raise it with the client option decodeLimits: { ${limit} }${
    limit === "maxBodyBytes"
      ? "; a stomper sender's maxSendBodyBytes to match"
      : ""
  })`;
}
