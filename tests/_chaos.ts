/**
 * {@linkcode ChaosRelay}: a TCP relay on 127.0.0.1 between a test and a
 * server (a real broker, the test broker, any loopback service) that injects
 * the faults of a real network: a connection cut both ways, a path that goes
 * silent and heals, latency, a slow link, a cut in the middle of a frame, and
 * a server that stops taking connections. Each control applies to every
 * connection, current and future, until changed.
 *
 * @module
 */

/** Which way bytes go: towards the client, or towards the server. */
export type ChaosDirection = "toClient" | "toServer";

/** One direction, or both. */
export type ChaosDirections = ChaosDirection | "both";

/** Where the relay forwards to: a loopback address only. */
export interface ChaosUpstream {
  /**
   * The server's host: `127.0.0.1`, `localhost` or `::1`.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /** The server's port. */
  port: number;
}

/** Options of {@linkcode ChaosRelay.start}. */
export interface ChaosRelayOptions {
  /**
   * Sees every piece of bytes the relay writes, once written: a view, to
   * be copied if kept. `connection` counts accepted connections from 1.
   */
  onForward?: (
    bytes: Uint8Array,
    direction: ChaosDirection,
    connection: number,
  ) => void;
}

/** A chunk read from one side, waiting to be written to the other. */
interface Pending {
  readonly chunk: Uint8Array;
  /** Bytes of it written so far. */
  at: number;
  /** When it may be written: read time plus the delay then in force. */
  readonly due: number;
}

/** One direction of one connection. */
interface Lane {
  readonly direction: ChaosDirection;
  readonly queue: Pending[];
  queued: number;
  /** The side it reads from has ended (EOF or error). */
  ended: boolean;
  /** When the throttle lets the next byte go. */
  nextFree: number;
}

/** An armed `cutAfter`. */
interface Trigger {
  remaining: number;
  readonly done: PromiseWithResolvers<void>;
}

const DIRECTIONS: readonly ChaosDirection[] = ["toClient", "toServer"];
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
// What a direction holds while silent or delayed before it stops reading,
// so that TCP pushes back on the sender.
const MAX_QUEUED = 1024 * 1024;
// A throttled direction writes this many times a second.
const THROTTLE_SLICES = 50;

function directions(which: ChaosDirections): readonly ChaosDirection[] {
  if (which === "both") return DIRECTIONS;
  if (which === "toClient" || which === "toServer") return [which];
  throw new TypeError(
    `Invalid direction: expected "toClient", "toServer" or "both", got ${
      JSON.stringify(which)
    }`,
  );
}

/** A relayed connection: the two sockets, and a way to wake its tasks. */
class Pair {
  readonly id: number;
  readonly client: Deno.TcpConn;
  readonly server: Deno.TcpConn;
  closed = false;
  /** Directions whose end has been passed on. */
  ended = 0;
  readonly #waiters = new Set<() => void>();

  constructor(id: number, client: Deno.TcpConn, server: Deno.TcpConn) {
    this.id = id;
    this.client = client;
    this.server = server;
  }

  /** Resolves at the next {@linkcode Pair.notify}, or after `ms`. */
  wait(ms = Infinity): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.add(resolve);
    const timer = ms === Infinity
      ? undefined
      : setTimeout(resolve, Math.max(0, ms));
    return promise.finally(() => {
      clearTimeout(timer);
      this.#waiters.delete(resolve);
    });
  }

  /** Something changed: every waiting task looks again. */
  notify(): void {
    for (const resolve of [...this.#waiters]) resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const conn of [this.client, this.server]) {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
    this.notify();
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/**
 * A fault-injecting TCP relay on a free port of 127.0.0.1, in front of a
 * loopback server. Point the client at {@linkcode ChaosRelay.url} (or
 * {@linkcode ChaosRelay.port}); every connection it accepts opens one to the
 * server and forwards both ways, as the faults in force allow:
 *
 * - {@linkcode ChaosRelay.cut}: close every current connection, both ways.
 * - {@linkcode ChaosRelay.silence} / {@linkcode ChaosRelay.resume}: stop
 *   forwarding and keep the sockets open; what arrives meanwhile is held
 *   (up to 1 MiB per direction and connection, then reading stops and TCP
 *   pushes back) and goes on at `resume`, in order. A side that closes while
 *   silent is seen to close only then.
 *
 * An end (EOF, or an error) on one side goes on to the other as a
 * half-close once what came before it is written; both sockets close once
 * both directions have ended.
 * - {@linkcode ChaosRelay.delay}: latency, per chunk, order kept.
 * - {@linkcode ChaosRelay.throttle}: at most so many bytes a second, per
 *   connection and direction, in 50 slices a second.
 * - {@linkcode ChaosRelay.cutAfter}: cut the connection that carries the
 *   N-th next byte in a direction, right after that byte: in the middle of
 *   a frame when N says so.
 * - {@linkcode ChaosRelay.refuse} / {@linkcode ChaosRelay.accept}: close
 *   the listening socket (connections are refused, as by a stopped broker;
 *   open ones carry on) and listen again on the same port.
 *
 * The counters say what happened: connections accepted and open, bytes
 * written each way, connections cut by a fault.
 *
 * @example Cutting a connection after 3 bytes towards the client
 * ```ts
 * import { ChaosRelay } from "./_chaos.ts";
 * import { assertEquals } from "@std/assert";
 *
 * using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * await using relay = ChaosRelay.start({ port: server.addr.port });
 * relay.cutAfter(3);
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
 * const peer = await server.accept();
 * await peer.write(new TextEncoder().encode("hello"));
 * const got = new Uint8Array(await new Response(client.readable).arrayBuffer());
 * assertEquals(new TextDecoder().decode(got), "hel");
 * assertEquals(relay.cuts, 1);
 * peer.close();
 * ```
 */
export class ChaosRelay implements AsyncDisposable {
  readonly #upstream: { hostname: string; port: number };
  readonly #onForward: ChaosRelayOptions["onForward"];
  readonly #port: number;
  #listener: Deno.TcpListener | undefined;
  #accepting: Promise<void> = Promise.resolve();
  readonly #pairs = new Set<Pair>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #silenced = { toClient: false, toServer: false };
  readonly #delay = { toClient: 0, toServer: 0 };
  readonly #rate = { toClient: Infinity, toServer: Infinity };
  readonly #bytes = { toClient: 0, toServer: 0 };
  readonly #triggers: Record<ChaosDirection, Trigger | undefined> = {
    toClient: undefined,
    toServer: undefined,
  };
  #connections = 0;
  #cuts = 0;
  #upstreamFailures = 0;
  #disposed = false;

  private constructor(upstream: ChaosUpstream, options: ChaosRelayOptions) {
    const hostname = upstream.hostname ?? "127.0.0.1";
    if (!LOOPBACK.has(hostname)) {
      throw new TypeError(
        `Cannot start relay: upstream must be a loopback host, got ${
          JSON.stringify(hostname)
        }`,
      );
    }
    this.#upstream = { hostname, port: upstream.port };
    this.#onForward = options.onForward;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#port = listener.addr.port;
    this.#listen(listener);
  }

  /**
   * Starts a relay on a free port of 127.0.0.1, forwarding to `upstream`.
   *
   * @example Relaying to an echo server
   * ```ts
   * import { ChaosRelay } from "./_chaos.ts";
   * import { assertEquals } from "@std/assert";
   *
   * using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * await using relay = ChaosRelay.start({ port: server.addr.port });
   * using client = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
   * using peer = await server.accept();
   * await client.write(new Uint8Array([1, 2, 3]));
   * const got = new Uint8Array(3);
   * assertEquals(await peer.read(got), 3);
   * assertEquals(relay.bytes("toServer"), 3);
   * ```
   *
   * @param upstream The server's loopback host and port.
   * @param options A tap on what is forwarded.
   * @returns The running relay.
   */
  static start(
    upstream: ChaosUpstream,
    options: ChaosRelayOptions = {},
  ): ChaosRelay {
    return new ChaosRelay(upstream, options);
  }

  /** The relay's port on 127.0.0.1 (the same after `refuse` and `accept`). */
  get port(): number {
    return this.#port;
  }

  /** `tcp://127.0.0.1:<port>`: the relay as a STOMP URL. */
  get url(): string {
    return `tcp://127.0.0.1:${this.#port}`;
  }

  /** Client connections accepted so far (each reconnection counts). */
  get connections(): number {
    return this.#connections;
  }

  /** Relayed connections open now. */
  get open(): number {
    return this.#pairs.size;
  }

  /** Connections closed by a fault: `cut` and `cutAfter`. */
  get cuts(): number {
    return this.#cuts;
  }

  /** Client connections closed at once because the server refused. */
  get upstreamFailures(): number {
    return this.#upstreamFailures;
  }

  /** Whether the relay takes new connections (see `refuse`). */
  get accepting(): boolean {
    return this.#listener !== undefined;
  }

  /**
   * Bytes written so far in a direction, over every connection.
   *
   * @param direction `"toClient"` or `"toServer"`.
   * @returns The count.
   */
  bytes(direction: ChaosDirection): number {
    directions(direction);
    return this.#bytes[direction];
  }

  /**
   * Closes every open connection, both sockets, now. New connections are
   * still accepted.
   *
   * @returns How many connections were cut.
   */
  cut(): number {
    const pairs = [...this.#pairs];
    for (const pair of pairs) this.#cut(pair);
    return pairs.length;
  }

  /**
   * Stops forwarding, keeping the sockets open: the peers see a silent
   * path, not a closed one.
   *
   * @param which The direction to silence, or both.
   */
  silence(which: ChaosDirections = "both"): void {
    for (const direction of directions(which)) {
      this.#silenced[direction] = true;
    }
    this.#notifyAll();
  }

  /**
   * Forwards again what `silence` held and what comes next.
   *
   * @param which The direction to resume, or both.
   */
  resume(which: ChaosDirections = "both"): void {
    for (const direction of directions(which)) {
      this.#silenced[direction] = false;
    }
    this.#notifyAll();
  }

  /**
   * Holds each chunk `ms` milliseconds after it was read before writing it
   * on (0 for none). Chunks read before the call keep their old delay.
   *
   * @param ms Milliseconds, 0 or more.
   * @param which The direction to delay, or both.
   */
  delay(ms: number, which: ChaosDirections = "both"): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(
        `Invalid delay: expected a number of milliseconds from 0, got ${ms}`,
      );
    }
    for (const direction of directions(which)) this.#delay[direction] = ms;
    this.#notifyAll();
  }

  /**
   * Writes at most `bytesPerSecond` bytes a second per connection in the
   * direction; `Infinity` lifts the limit.
   *
   * @param bytesPerSecond The rate, above 0.
   * @param which The direction to throttle, or both.
   */
  throttle(bytesPerSecond: number, which: ChaosDirections = "both"): void {
    if (!(bytesPerSecond > 0)) {
      throw new RangeError(
        `Invalid throttle: expected bytes per second above 0 or Infinity, got ${bytesPerSecond}`,
      );
    }
    for (const direction of directions(which)) {
      this.#rate[direction] = bytesPerSecond;
    }
    this.#notifyAll();
  }

  /**
   * Lets exactly `bytes` more bytes through in the direction (over all
   * connections), then cuts the connection that carried the last of them,
   * both ways. Once: later connections are not affected. A second call
   * replaces the first.
   *
   * @param bytes Bytes to let through first, 0 or more.
   * @param direction The direction to count.
   * @returns A promise that resolves once the cut happened.
   */
  cutAfter(
    bytes: number,
    direction: ChaosDirection = "toClient",
  ): Promise<void> {
    directions(direction);
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RangeError(
        `Invalid byte count: expected an integer from 0, got ${bytes}`,
      );
    }
    const trigger = { remaining: bytes, done: Promise.withResolvers<void>() };
    this.#triggers[direction] = trigger;
    this.#notifyAll();
    return trigger.done.promise;
  }

  /**
   * Closes the listening socket: connection attempts are refused, as by a
   * stopped server, while open connections carry on (call `cut` too for a
   * server that went away).
   */
  async refuse(): Promise<void> {
    const listener = this.#listener;
    if (listener === undefined) return;
    this.#listener = undefined;
    listener.close();
    await this.#accepting;
  }

  /** Listens again, on the same port, after `refuse`. */
  accept(): void {
    if (this.#listener !== undefined || this.#disposed) return;
    this.#listen(Deno.listen({ hostname: "127.0.0.1", port: this.#port }));
  }

  /** Stops listening, closes every connection and waits for its tasks. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    await this.refuse();
    for (const pair of [...this.#pairs]) pair.close();
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
  }

  #listen(listener: Deno.TcpListener): void {
    this.#listener = listener;
    this.#accepting = (async () => {
      try {
        for await (const client of listener) this.#relay(client);
      } catch {
        // The listener was closed.
      }
    })();
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  #relay(client: Deno.TcpConn): void {
    const id = ++this.#connections;
    this.#track((async () => {
      let server: Deno.TcpConn;
      try {
        server = await Deno.connect(this.#upstream);
      } catch {
        this.#upstreamFailures++;
        client.close();
        return;
      }
      if (this.#disposed) {
        client.close();
        server.close();
        return;
      }
      client.setNoDelay(true);
      server.setNoDelay(true);
      const pair = new Pair(id, client, server);
      this.#pairs.add(pair);
      const lane = (direction: ChaosDirection): Lane => ({
        direction,
        queue: [],
        queued: 0,
        ended: false,
        nextFree: 0,
      });
      const toServer = lane("toServer");
      const toClient = lane("toClient");
      await Promise.all([
        this.#read(pair, client, toServer),
        this.#write(pair, server, toServer),
        this.#read(pair, server, toClient),
        this.#write(pair, client, toClient),
      ]);
      this.#pairs.delete(pair);
    })());
  }

  #cut(pair: Pair): void {
    if (pair.closed) return;
    this.#cuts++;
    pair.close();
  }

  #notifyAll(): void {
    for (const pair of this.#pairs) pair.notify();
  }

  async #read(pair: Pair, from: Deno.TcpConn, lane: Lane): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (!pair.closed) {
        if (lane.queued >= MAX_QUEUED) {
          await pair.wait();
          continue;
        }
        const n = await from.read(buffer);
        if (n === null) break;
        lane.queue.push({
          chunk: buffer.slice(0, n),
          at: 0,
          due: performance.now() + this.#delay[lane.direction],
        });
        lane.queued += n;
        pair.notify();
      }
    } catch {
      // Reset, or closed by the relay.
    }
    lane.ended = true;
    pair.notify();
  }

  async #write(pair: Pair, to: Deno.TcpConn, lane: Lane): Promise<void> {
    const direction = lane.direction;
    while (!pair.closed) {
      if (this.#silenced[direction]) {
        await pair.wait();
        continue;
      }
      const item = lane.queue[0];
      if (item === undefined) {
        if (!lane.ended) {
          await pair.wait();
          continue;
        }
        // All that was read is written: pass the end on as a half-close,
        // and close both sockets once both directions have ended.
        try {
          await to.closeWrite();
        } catch {
          pair.close();
        }
        if (++pair.ended === 2) pair.close();
        return;
      }
      const now = performance.now();
      if (item.due > now) {
        await pair.wait(item.due - now);
        continue;
      }
      const rate = this.#rate[direction];
      let n = item.chunk.length - item.at;
      if (rate !== Infinity) {
        if (lane.nextFree > now) {
          await pair.wait(lane.nextFree - now);
          continue;
        }
        n = Math.min(n, Math.max(1, Math.floor(rate / THROTTLE_SLICES)));
      }
      // Reserve the bytes of an armed cutAfter before writing, so that two
      // connections writing at once cannot both take the last of them.
      const trigger = this.#triggers[direction];
      let last = false;
      if (trigger !== undefined) {
        n = Math.min(n, trigger.remaining);
        trigger.remaining -= n;
        last = trigger.remaining === 0;
        if (last) this.#triggers[direction] = undefined;
      }
      let failed = false;
      try {
        if (n > 0) {
          await writeAll(to, item.chunk.subarray(item.at, item.at + n));
        }
      } catch {
        failed = true;
      }
      if (!failed) {
        if (n > 0) {
          this.#onForward?.(
            item.chunk.subarray(item.at, item.at + n),
            direction,
            pair.id,
          );
        }
        item.at += n;
        lane.queued -= n;
        this.#bytes[direction] += n;
        if (rate !== Infinity) {
          lane.nextFree = Math.max(now, lane.nextFree) + (n / rate) * 1000;
        }
        if (item.at === item.chunk.length) lane.queue.shift();
      }
      if (last) {
        this.#cut(pair);
        trigger!.done.resolve();
      }
      if (failed) pair.close();
      if (pair.closed) return;
      pair.notify();
    }
  }
}
