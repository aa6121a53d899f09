/**
 * STOMP over TCP and TLS in Cloudflare Workers (and workerd), through
 * `cloudflare:sockets`: {@linkcode connectCloudflareTcp} opens a socket from
 * a `tcp://`, `stomp://`, `tls://` or `stomp+ssl://` URL, and
 * {@linkcode fromCloudflareSocket} wraps one a Worker opened itself.
 *
 * `cloudflare:sockets` is imported inside the function, when it is first
 * called, and by a name bundlers do not follow, so this module loads in
 * every runtime and bundles for any of them.
 *
 * A socket belongs to the request that opened it: a plain Worker cannot keep
 * a client for the next request (the runtime refuses the I/O), while a
 * Durable Object, whose requests share one context, can.
 *
 * @module
 */

import { connectFailure, connectSignal, raceSignal } from "./_signal.ts";
import { type TlsSettings, tlsSettings } from "./_tls.ts";
import { tcpTarget } from "./_url.ts";
import { STOMP_PORTS } from "./deno.ts";
import type { StompTransport } from "./transport.ts";

/**
 * The part of a `cloudflare:sockets` `Socket` that
 * {@linkcode fromCloudflareSocket} uses.
 */
export interface CloudflareSocket {
  /** The bytes received. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Takes the bytes to send. */
  readonly writable: WritableStream<Uint8Array>;
  /** Closes the socket in both directions. */
  close(): Promise<void>;
}

/** Options of {@linkcode connectCloudflareTcp}. */
export interface CloudflareTcpConnectOptions {
  /**
   * The host to connect to (and, for TLS, to verify the certificate
   * against) instead of the URL's.
   */
  hostname?: string | undefined;
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

/** What `connect` of `cloudflare:sockets` is given and returns. */
interface SocketsModule {
  connect(
    address: { hostname: string; port: number },
    options: { secureTransport: "on" | "off"; allowHalfOpen: boolean },
  ): CloudflareSocket & { readonly opened: Promise<unknown> };
}

// A variable, not a literal: bundlers then leave the import to the runtime
// instead of failing to resolve it, and type checkers do not look for it.
const SOCKETS_MODULE = "cloudflare:sockets";
let socketsModule: Promise<SocketsModule> | undefined;

/** `cloudflare:sockets`, imported once; rejects where there is none. */
function loadSockets(): Promise<SocketsModule> {
  socketsModule ??= import(SOCKETS_MODULE) as Promise<SocketsModule>;
  socketsModule.catch(() => socketsModule = undefined);
  return socketsModule;
}

// What workerd says of an I/O object used by a request that did not open it.
const OTHER_REQUEST = /on behalf of a different request/i;

/**
 * The error, or, for a socket used from a request that did not open it, an
 * error that says what to do.
 */
function explain(error: unknown): unknown {
  if (!(error instanceof Error) || !OTHER_REQUEST.test(error.message)) {
    return error;
  }
  return new Error(
    "Cannot use the connection: it was opened while handling another request, and a Worker's sockets belong to the request that opened them; connect in each request, or keep the client in a Durable Object",
    { cause: error },
  );
}

// How long a failed read waits for the socket's `opened` to settle.
const OPENED_WAIT_MS = 1000;

/**
 * For a socket that never opened, an error that says why: a read from it
 * fails with only "Stream was cancelled", while its `opened` (which
 * {@linkcode CloudflareSocket} does not require) rejects with the runtime's
 * reason.
 */
async function notOpened(socket: CloudflareSocket): Promise<Error | undefined> {
  const opened =
    (socket as { opened?: PromiseLike<unknown> | undefined }).opened;
  if (typeof opened?.then !== "function") return undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failure = await Promise.race([
    Promise.resolve(opened).then(() => undefined, (cause) => ({ cause })),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), OPENED_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (failure === undefined) return undefined;
  return new Error(`Cannot connect: ${describe(failure.cause, undefined)}`, {
    cause: failure.cause,
  });
}

/**
 * Wraps a socket from `connect` of `cloudflare:sockets` as a
 * {@linkcode StompTransport} whose writes may hold several frames
 * (`coalesce`), so the client gathers frames issued together into one write.
 *
 * - `readable` yields the received bytes and ends when the peer closes (or
 *   after `close()`); a network error errors it, and so does a socket that
 *   could not be opened, with what the runtime said of it.
 * - Each chunk written to `writable` is written whole; writing waits for the
 *   socket to take it.
 * - `close()` closes the socket at once; a pending read then ends the
 *   readable normally instead of erroring.
 * - Used from a request other than the one that opened the socket (a client
 *   kept in a plain Worker's global), reads and writes fail with an error
 *   that says to connect per request or use a Durable Object.
 *
 * @example A STOMP exchange (here a Deno connection stands in for a Worker's socket)
 * ```ts
 * import {
 *   type CloudflareSocket,
 *   fromCloudflareSocket,
 * } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const server = (async () => {
 *   using conn = await listener.accept();
 *   await conn.write(new TextEncoder().encode("CONNECTED\nversion:1.2\n\n\0"));
 * })();
 * // In a Worker: connect("broker.example:61613"), from "cloudflare:sockets".
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const socket: CloudflareSocket = {
 *   readable: conn.readable,
 *   writable: conn.writable,
 *   close() {
 *     try {
 *       conn.close();
 *     } catch {
 *       // Deno closed it when the readable ended.
 *     }
 *     return Promise.resolve();
 *   },
 * };
 * const transport = fromCloudflareSocket(socket);
 * assertEquals(transport.coalesce, true);
 * await server;
 * assertEquals(
 *   await new Response(transport.readable).text(),
 *   "CONNECTED\nversion:1.2\n\n\0",
 * );
 * transport.close();
 * ```
 *
 * @param socket A socket from `connect`, opened or still opening.
 * @returns The transport.
 */
export function fromCloudflareSocket(socket: CloudflareSocket): StompTransport {
  let closedLocally = false;
  let released = false;
  const close = () => {
    closedLocally = true;
    if (released) return;
    released = true;
    // Fails when the socket failed first: the readable reports that.
    try {
      socket.close().catch(() => {});
    } catch {
      // As above.
    }
  };

  const reader = socket.readable.getReader();
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        if (closedLocally) controller.close();
        else {
          close();
          controller.error(explain(await notOpened(socket) ?? error));
        }
        return;
      }
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel() {
      close();
    },
  });

  const writer = socket.writable.getWriter();
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (released) {
        throw new Error("Cannot write frame: the connection is closed");
      }
      try {
        await writer.write(chunk);
      } catch (error) {
        throw explain(error);
      }
    },
    async close() {
      try {
        await writer.close();
      } catch {
        // The peer already went away; the readable reports how.
      }
    },
    abort() {
      close();
    },
  });

  return { readable, writable, close, coalesce: true };
}

/**
 * The connection error in words, with where the fix lies; `tls` is
 * undefined for a socket the Worker opened itself, whose kind is unknown.
 */
function describe(error: unknown, tls: boolean | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  // workerd says the same for a refused, unreachable or forbidden address and
  // for a certificate it does not trust.
  if (!/cannot connect to the specified address/i.test(message)) {
    return message;
  }
  const certificate = tls === undefined
    ? ", or, over TLS, a certificate the runtime does not trust"
    : tls
    ? ", or a certificate the runtime does not trust"
    : "";
  return `${message} (refused, unreachable, not allowed by the Worker's outbound network${certificate}; in workerd, private addresses need a network service with allow = ["public", "private", "local"] as the Worker's globalOutbound${
    tls === false
      ? ""
      : ", and a certificate authority of your own goes in its tlsOptions.trustedCertificates"
  })`;
}

/**
 * Opens a TCP or TLS connection to a STOMP broker from a Cloudflare Worker
 * (or workerd), with `connect` of `cloudflare:sockets`, from a URL:
 * `tcp://host:port` or `stomp://host:port` (port 61613 by default), or
 * `tls://host:port` or `stomp+ssl://host:port` (port 61614 by default, with
 * `secureTransport: "on"`). {@linkcode openTransport} calls it for those
 * URLs inside Workers, whatever the compatibility date and flags.
 *
 * It resolves once the socket is open (for TLS, once the handshake is done),
 * and returns {@linkcode fromCloudflareSocket}'s transport. Call it while
 * handling a request (not at the top level of the module): in a plain
 * Worker the connection then serves that request only; keep a client across
 * requests in a Durable Object.
 *
 * @example Refused outside Workers, with what to use instead
 * ```ts
 * import { connectCloudflareTcp } from "@stomper/stomp/transports";
 * import { assertRejects } from "@std/assert";
 *
 * await assertRejects(
 *   () => connectCloudflareTcp("tcp://127.0.0.1:61613"),
 *   TypeError,
 *   "this runtime has no cloudflare:sockets module",
 * );
 * ```
 *
 * @param url The broker's URL.
 * @param options Host override, timeout and abort signal.
 * @returns The transport, once connected.
 * @throws {TypeError} For a URL that is not `tcp:`, `stomp:`, `tls:` or
 * `stomp+ssl:`; for `caCerts`, `cert` or `key` (passed through
 * {@linkcode openTransport}), which Cloudflare sockets cannot take; in a
 * runtime without `cloudflare:sockets`.
 * @throws {TransportConnectError} When the connection cannot be opened.
 */
export async function connectCloudflareTcp(
  url: string | URL,
  options: CloudflareTcpConnectOptions = {},
): Promise<StompTransport> {
  const target = tcpTarget(
    url,
    options.hostname,
    STOMP_PORTS,
    "connect over TCP",
  );
  const settings = tlsSettings(
    options as TlsSettings,
    "Cannot connect over TCP",
  );
  if (settings.caCerts !== undefined || settings.cert !== undefined) {
    throw new TypeError(
      "Cannot connect over TCP: caCerts, cert and key cannot be used with Cloudflare sockets, which trust the runtime's certificate authorities and send no client certificate; in workerd, list a certificate authority of your own in the network service's tlsOptions.trustedCertificates",
    );
  }
  const deadline = connectSignal(options, "connect over TCP");
  const signal = deadline.signal;
  try {
    let sockets: SocketsModule;
    try {
      sockets = await loadSockets();
    } catch (cause) {
      throw new TypeError(
        "Cannot connect over TCP: this runtime has no cloudflare:sockets module (Cloudflare Workers and workerd have it); use connectTcp in Deno and connectNodeTcp in Node or Bun, or openTransport, which picks the one that fits",
        { cause },
      );
    }
    const fail = (cause: unknown) =>
      connectFailure(
        target.name,
        target.url.href,
        signal,
        options.timeout,
        cause,
        (cause) => describe(cause, target.tls),
      );
    if (signal?.aborted) throw fail(signal.reason);
    let socket: ReturnType<SocketsModule["connect"]>;
    try {
      socket = sockets.connect(
        { hostname: target.hostname, port: target.port },
        { secureTransport: target.tls ? "on" : "off", allowHalfOpen: false },
      );
    } catch (cause) {
      throw fail(cause);
    }
    try {
      await raceSignal(socket.opened, signal, () => {});
    } catch (cause) {
      socket.close().catch(() => {});
      throw fail(cause);
    }
    return fromCloudflareSocket(socket);
  } finally {
    deadline.clear();
  }
}
