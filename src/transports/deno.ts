/**
 * STOMP over TCP and TLS in Deno: {@linkcode fromConn} wraps a `Deno.Conn`,
 * {@linkcode connectTcp} opens one from a `tcp://`, `stomp://`, `tls://` or
 * `stomp+ssl://` URL.
 *
 * This file is the only one in the library that calls `Deno.*`, and only
 * inside functions, so importing it elsewhere (a browser bundle) is harmless.
 *
 * @module
 */

import {
  connectFailure,
  connectSignal,
  fileLimitHint,
  raceSignal,
} from "./_signal.ts";
import type { StompTransport } from "./transport.ts";
import { tcpTarget } from "./_url.ts";
import {
  describeDenoTlsError,
  plainPortHint,
  refuseTlsSettings,
  tlsSettings,
} from "./_tls.ts";

/** A {@linkcode StompTransport} over a Deno TCP or TLS connection. */
export interface DenoConnTransport extends StompTransport {
  /** The underlying connection. */
  readonly conn: Deno.Conn;
}

/** Options of {@linkcode fromConn}. */
export interface FromConnOptions {
  /**
   * Size in bytes of the buffer each read fills. A read that fills at least
   * a quarter of it is handed out as a view of a fresh buffer; a smaller
   * read is copied out, so small frames do not each pin a whole buffer.
   *
   * @default {65536}
   */
  readBufferSize?: number | undefined;
}

/** Options of {@linkcode connectTcp}. */
export interface TcpConnectOptions extends FromConnOptions {
  /**
   * The host to connect to (and, for TLS, to verify the certificate
   * against) instead of the URL's.
   */
  hostname?: string | undefined;
  /**
   * Extra root certificates, in PEM format, trusted for TLS in addition to
   * the default ones: the broker's certificate authority.
   */
  caCerts?: string[] | undefined;
  /** A client certificate chain in PEM format, for mutual TLS (with `key`). */
  cert?: string | undefined;
  /** The client certificate's private key in PEM format (with `cert`). */
  key?: string | undefined;
  /** Aborts the connection attempt. */
  signal?: AbortSignal | undefined;
  /**
   * Milliseconds to wait for the connection (and the TLS handshake) before
   * giving up; 0 waits for ever.
   *
   * @default {10000}
   */
  timeout?: number | undefined;
}

/**
 * Default STOMP ports: plain TCP and TLS.
 *
 * @example Reading the default ports
 * ```ts
 * import { STOMP_PORTS } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(STOMP_PORTS, { tcp: 61613, tls: 61614 });
 * ```
 */
export const STOMP_PORTS: Readonly<{ tcp: number; tls: number }> = Object
  .freeze({ tcp: 61613, tls: 61614 });

const DEFAULT_READ_BUFFER = 64 * 1024;

/**
 * Wraps a Deno connection (TCP, TLS or Unix socket) as a
 * {@linkcode StompTransport}.
 *
 * - `readable` yields the received bytes and ends when the peer closes (or
 *   after `close()`); a network error errors it.
 * - Each chunk written to `writable` is written whole. Closing `writable`
 *   shuts down the sending side (a TCP half-close) and the connection is
 *   released once the peer has closed too; aborting it closes the connection.
 * - `close()` closes the connection at once; a pending read then ends the
 *   readable normally instead of erroring.
 *
 * For a TCP connection you open yourself, call `conn.setNoDelay(true)` as
 * {@linkcode connectTcp} does: STOMP frames are small writes that Nagle's
 * algorithm would otherwise hold back.
 *
 * @example A STOMP exchange with a loopback server
 * ```ts
 * import { fromConn } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const server = (async () => {
 *   using conn = await listener.accept();
 *   await conn.write(new TextEncoder().encode("CONNECTED\nversion:1.2\n\n\0"));
 * })();
 *
 * const transport = fromConn(
 *   await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
 * );
 * const received = await new Response(transport.readable).text();
 * assertEquals(received, "CONNECTED\nversion:1.2\n\n\0");
 * transport.close();
 * await server;
 * ```
 *
 * @param conn An open connection.
 * @param options Read buffer size.
 * @returns The transport.
 */
export function fromConn(
  conn: Deno.Conn,
  options: FromConnOptions = {},
): DenoConnTransport {
  const size = options.readBufferSize ?? DEFAULT_READ_BUFFER;
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(
      `Cannot wrap connection: readBufferSize must be a positive integer, got ${size}`,
    );
  }
  let closedLocally = false;
  let released = false;
  let readDone = false;
  let writeDone = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      conn.close();
    } catch {
      // Already closed by Deno (e.g. a reset connection): nothing to release.
    }
  };
  const close = () => {
    closedLocally = true;
    release();
  };

  let buffer = new Uint8Array(size);
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (error) {
        readDone = true;
        if (closedLocally) controller.close();
        else {
          release();
          controller.error(error);
        }
        return;
      }
      if (n === null) {
        readDone = true;
        controller.close();
        if (writeDone) release();
        return;
      }
      if (n >= size >> 2) {
        controller.enqueue(buffer.subarray(0, n));
        buffer = new Uint8Array(size);
      } else {
        controller.enqueue(buffer.slice(0, n));
      }
    },
    cancel() {
      readDone = true;
      close();
    },
  });

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (released) {
        throw new Deno.errors.BadResource(
          "Cannot write frame: the connection is closed",
        );
      }
      let offset = 0;
      while (offset < chunk.length) {
        offset += await conn.write(chunk.subarray(offset));
      }
    },
    async close() {
      writeDone = true;
      if (readDone) {
        release();
        return;
      }
      try {
        await conn.closeWrite();
      } catch {
        // The peer already went away; the readable reports how.
      }
    },
    abort() {
      writeDone = true;
      close();
    },
  });

  return { readable, writable, close, conn, coalesce: true };
}

// Deno connects to the first address a name resolves to and tries no other:
// where "localhost" resolves to ::1 first (Docker's /etc/hosts, Fedora,
// macOS), a broker listening on 127.0.0.1 only was refused, where Node tries
// each address. So a refused "localhost" tries both loopback addresses.
const LOOPBACK = ["127.0.0.1", "::1"];

/** `Deno.connect`; for a refused "localhost", the loopback addresses too. */
async function connectLoopbackToo(
  options: Deno.ConnectOptions,
): Promise<Deno.TcpConn> {
  try {
    return await Deno.connect(options);
  } catch (error) {
    if (
      !(error instanceof Deno.errors.ConnectionRefused) ||
      options.hostname?.toLowerCase() !== "localhost"
    ) throw error;
    for (const hostname of LOOPBACK) {
      // Only where access is granted already: never a permission prompt.
      const host = `${
        hostname.includes(":") ? `[${hostname}]` : hostname
      }:${options.port}`;
      if (
        Deno.permissions.querySync({ name: "net", host }).state !== "granted"
      ) {
        continue;
      }
      try {
        return await Deno.connect({ ...options, hostname });
      } catch {
        // Refused there too: the first refusal is the one to report.
      }
    }
    throw error;
  }
}

/** Completes the TLS handshake, so a bad certificate fails the connect. */
async function handshake(
  pending: Promise<Deno.TlsConn>,
  signal: AbortSignal | undefined,
): Promise<Deno.TlsConn> {
  const conn = await pending;
  try {
    await raceSignal(conn.handshake(), signal, () => {});
  } catch (error) {
    conn.close();
    throw error;
  }
  return conn;
}

// What rustls and Deno say of a TLS handshake the server did not take part
// in: it closed, reset, or answered with bytes that are not TLS records.
const NOT_TLS =
  /unexpected end of file|corrupt message|InvalidContentType|reset/i;

/**
 * A connection error in words; a certificate error with what to do; a TLS
 * handshake the server did not take part in with the `tcp://` URL of the
 * same port; no file descriptor left with the limit to look at.
 */
function describe(
  error: unknown,
  hostname: string,
  target: string,
  tls: boolean,
): string {
  const message = error instanceof Error ? error.message : String(error);
  const described = describeDenoTlsError(message, hostname, true);
  return tls && described === message && NOT_TLS.test(message)
    ? `${message}${plainPortHint(target)}`
    : `${described}${fileLimitHint(error)}`;
}

/**
 * Opens a TCP or TLS connection to a STOMP broker, from a URL:
 * `tcp://host:port` or `stomp://host:port` (port 61613 by default), or
 * `tls://host:port` or `stomp+ssl://host:port` (port 61614 by default). For
 * TLS the handshake is completed before it resolves, so a certificate that
 * does not verify is reported here.
 *
 * @example Connecting to a loopback server
 * ```ts
 * import { connectTcp } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept();
 * const transport = await connectTcp(`tcp://127.0.0.1:${listener.addr.port}`);
 * using server = await accepted;
 * assertEquals(transport.conn.remoteAddr, server.localAddr);
 * transport.close();
 * ```
 *
 * @param url The broker's URL.
 * @param options TLS settings, host override, timeout and abort signal.
 * @returns The transport, once connected.
 * @throws {TypeError} For a URL that is not `tcp:`, `stomp:`, `tls:` or
 * `stomp+ssl:`, `caCerts` that is not an array of PEM strings, `cert`
 * without `key` (or the reverse), or TLS settings for a plain `tcp:` URL.
 * @throws {TransportConnectError} When the connection cannot be opened.
 */
export async function connectTcp(
  url: string | URL,
  options: TcpConnectOptions = {},
): Promise<DenoConnTransport> {
  const { url: parsed, tls, hostname, port, name: target } = tcpTarget(
    url,
    options.hostname,
    STOMP_PORTS,
    "connect over TCP",
  );
  const settings = tlsSettings(options, "Cannot connect over TCP");
  if (!tls) {
    refuseTlsSettings(settings, target, "tls:", "Cannot connect over TCP");
  }
  const { caCerts, cert, key } = settings;
  const deadline = connectSignal(options, "connect over TCP");
  const signal = deadline.signal;
  try {
    let conn: Deno.Conn;
    try {
      const connectOptions: Deno.ConnectOptions = { hostname, port };
      if (signal !== undefined) connectOptions.signal = signal;
      if (tls && cert !== undefined && key !== undefined) {
        // Client certificates need connectTls, whose TCP socket keeps Nagle.
        const tlsOptions: Deno.ConnectTlsOptions = { hostname, port };
        if (caCerts !== undefined) tlsOptions.caCerts = caCerts;
        conn = await handshake(
          raceSignal(
            Deno.connectTls({ ...tlsOptions, cert, key }),
            signal,
            (late) => late.close(),
          ),
          signal,
        );
      } else {
        const tcpConn = await connectLoopbackToo(connectOptions);
        // Frames are small writes: with Nagle's algorithm a frame written while
        // the previous one is unacknowledged waits for the peer's delayed ACK
        // (40 ms on Linux) before it leaves.
        tcpConn.setNoDelay(true);
        if (tls) {
          const startOptions: Deno.StartTlsOptions = { hostname };
          if (caCerts !== undefined) startOptions.caCerts = caCerts;
          conn = await handshake(
            raceSignal(
              Deno.startTls(tcpConn, startOptions).catch((error) => {
                tcpConn.close();
                throw error;
              }),
              signal,
              (late) => late.close(),
            ),
            signal,
          );
        } else {
          conn = tcpConn;
        }
      }
    } catch (cause) {
      throw connectFailure(
        target,
        parsed.href,
        signal,
        options.timeout,
        cause,
        (cause) => describe(cause, hostname, target, tls),
      );
    }
    const transportOptions: FromConnOptions = {};
    if (options.readBufferSize !== undefined) {
      transportOptions.readBufferSize = options.readBufferSize;
    }
    return fromConn(conn, transportOptions);
  } finally {
    deadline.clear();
  }
}
