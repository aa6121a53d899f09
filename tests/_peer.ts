// Test helpers shared by the unit and integration tests: a STOMP peer made
// of a real loopback socket and the codec only (either side of a
// connection), and a scripted server.

import { assertEquals } from "@std/assert";
import {
  connect,
  encodeFrame,
  type HEARTBEAT,
  StompDecoder,
  type StompFrame,
  type StompFrameLike,
  type StompVersion,
} from "@stomper/stomp";
import type { StompTestBroker } from "@stomper/stomp/testing";

/** A STOMP peer over a socket, reading frames with timeouts. */
export class RawPeer implements AsyncDisposable {
  readonly #conn: Deno.TcpConn;
  readonly #decoder: StompDecoder;
  readonly #frames: StompFrame[] = [];
  readonly #reading: Promise<void>;
  #waiter: (() => void) | undefined;
  #ended = false;
  heartbeats = 0;
  version: StompVersion = "1.2";

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    conn.setNoDelay(true);
    this.#decoder = new StompDecoder({ onHeartbeat: () => this.heartbeats++ });
    this.#reading = this.#read();
  }

  /** Opens a client connection to a loopback port. */
  static async open(port: number): Promise<RawPeer> {
    return new RawPeer(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Opens a client connection and completes CONNECT / CONNECTED. */
  static async connected(
    broker: StompTestBroker,
    headers: Record<string, string> = {},
    version: StompVersion = "1.2",
  ): Promise<RawPeer> {
    const peer = await RawPeer.open(broker.port);
    await peer.send(connect({
      host: "/",
      acceptVersion: [version],
      heartBeat: [0, 0],
      headers,
    }));
    const frame = await peer.next();
    assertEquals(frame.command, "CONNECTED", frame.text);
    peer.version = version;
    return peer;
  }

  /** Whether the other side closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Writes a frame (encoded with `version`), a heart-beat, or raw bytes. */
  async send(
    frame: StompFrameLike | typeof HEARTBEAT | Uint8Array,
  ): Promise<void> {
    const bytes = frame instanceof Uint8Array
      ? frame
      : encodeFrame(frame, { version: this.version });
    let at = 0;
    while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
  }

  /** The next frame; fails after `timeout` ms or if the connection ends. */
  async next(timeout = 2000): Promise<StompFrame> {
    const deadline = Date.now() + timeout;
    while (this.#frames.length === 0) {
      if (this.#ended) {
        throw new Error("Connection ended while waiting for a frame");
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No frame within ${timeout} ms`);
      await this.#wait(left);
    }
    return this.#frames.shift()!;
  }

  /** Whether no frame arrives within `ms` (none is taken). */
  async quiet(ms: number): Promise<boolean> {
    if (this.#frames.length > 0) return false;
    await this.#wait(ms);
    return this.#frames.length === 0;
  }

  /** Waits for the other side to close; fails after `timeout` ms. */
  async end(timeout = 2000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`Connection still open after ${timeout} ms`);
      }
      await this.#wait(left);
    }
  }

  /** Closes the socket. */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#reading;
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
    try {
      while (true) {
        const buffer = new Uint8Array(64 * 1024);
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        this.#decoder.decode(buffer.subarray(0, n), (frame) => {
          this.#frames.push(frame);
          if (frame.command === "CONNECTED") {
            this.#decoder.version =
              (frame.headers.get("version") ?? "1.0") as StompVersion;
          }
        });
        this.#waiter?.();
      }
    } catch {
      // Closed locally, or reset by the other side.
    } finally {
      this.#ended = true;
      this.#waiter?.();
    }
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
    await using peer = new RawPeer(conn);
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
export { eventually, within } from "./_helpers.ts";
