/**
 * STOMP over TCP and TLS in Node (and Bun): {@linkcode connectNodeTcp} opens
 * a `node:net` socket, with `node:tls` on top for TLS, from a `tcp://`,
 * `stomp://`, `tls://` or `stomp+ssl://` URL.
 *
 * The `node:` modules are imported inside the function, when it is first
 * called, so this module also loads in browsers, and Deno never loads them
 * unless asked to.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { ConnectionOptions, TLSSocket } from "node:tls";
import { connectFailure, connectSignal, fileLimitHint } from "./_signal.ts";
import { tcpTarget } from "./_url.ts";
import {
  nameHint,
  plainPortHint,
  refuseTlsSettings,
  tlsSettings,
  TRUST_HINT,
} from "./_tls.ts";
import { STOMP_PORTS } from "./deno.ts";
import type { StompTransport } from "./transport.ts";

/** Options of {@linkcode connectNodeTcp}. */
export interface NodeTcpConnectOptions {
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

// Bytes received and not yet read above which the socket is paused, so a
// slow reader makes TCP slow the broker down instead of filling memory.
const READ_HIGH_WATER_MARK = 64 * 1024;

// What Node's connection error codes mean, in words.
const ERROR_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the peer",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
};

// OpenSSL's codes for a certificate chain that does not lead to a trusted
// root: the fix is to trust the broker's certificate authority.
const UNTRUSTED_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

// Other codes of a certificate that did not verify.
const CERTIFICATE_CODES = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_REJECTED",
]);

/** The socket closed before it connected (or finished its handshake). */
class EarlyClose extends Error {
  constructor() {
    super("the connection closed before it was established");
  }
}

// OpenSSL's codes for a server that answered the handshake with bytes that
// are not TLS records; ECONNRESET and a close are the server hanging up.
const NOT_TLS_CODES = new Set([
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG",
  "ERR_SSL_HTTP_REQUEST",
  "ECONNRESET",
]);

/**
 * A Node error of the TLS handshake, in words: one the server did not take
 * part in (it hung up, or answered with something else than TLS) with the
 * `tcp://` URL of the same port (`name`: `tls://host:port`).
 */
function describeHandshake(error: unknown, host: string, name: string): string {
  const described = describe(error, host);
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof EarlyClose ||
      (typeof code === "string" && NOT_TLS_CODES.has(code))
    ? `${described}${plainPortHint(name)}`
    : described;
}

/**
 * A Node connection error in words, with its code; a certificate error with
 * what to do (`host`: the host the certificate was checked against).
 */
function describe(error: unknown, host: string): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return error.message;
  if (UNTRUSTED_CODES.has(code)) {
    return `the server's certificate did not verify: ${error.message} (${code}); ${TRUST_HINT}`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `the server's certificate did not verify: ${error.message} (${code}); ${
      nameHint(host, true)
    }`;
  }
  if (CERTIFICATE_CODES.has(code)) {
    return `the server's certificate did not verify: ${error.message} (${code})`;
  }
  const words = ERROR_WORDS[code];
  return words === undefined
    ? error.message
    : `${words} (${code})${fileLimitHint(error)}`;
}

/**
 * Wraps a connected Node socket as a transport. Attached in the same turn as
 * the socket connects, so no event goes unheard.
 */
function fromNodeSocket(socket: Socket): StompTransport {
  let closedLocally = false;
  let readDone = false;
  let failure: Error | undefined;
  // The write waiting for its callback, to fail if the socket closes first.
  let rejectWrite: ((error: Error) => void) | undefined;

  const close = () => {
    closedLocally = true;
    socket.destroy();
  };

  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    pull() {
      if (socket.isPaused()) socket.resume();
    },
    cancel() {
      readDone = true;
      close();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: READ_HIGH_WATER_MARK }));

  socket.on("data", (chunk: Uint8Array) => {
    if (readDone) return;
    // A plain view, not the Buffer: Buffer's slice() does not copy.
    controller.enqueue(
      new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
    if ((controller.desiredSize ?? 0) <= 0) socket.pause();
  });
  socket.on("end", () => {
    if (readDone) return;
    readDone = true;
    controller.close();
  });
  socket.on("error", (error: Error) => {
    failure ??= error;
  });
  socket.on("close", () => {
    const error = failure ?? new Error("The connection is closed");
    rejectWrite?.(error);
    if (readDone) return;
    readDone = true;
    if (failure === undefined || closedLocally) controller.close();
    else controller.error(failure);
  });

  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.destroyed || !socket.writable) {
        throw failure ??
          new Error("Cannot write frame: the connection is closed");
      }
      // Resolving once Node has handed the bytes to the kernel keeps one
      // chunk in flight: a peer that stops reading holds the writer back.
      return new Promise<void>((resolve, reject) => {
        rejectWrite = reject;
        socket.write(chunk, (error) => {
          rejectWrite = undefined;
          if (error) reject(error);
          else resolve();
        });
      });
    },
    close() {
      // A TCP half-close; the socket is released once the peer closes too.
      return new Promise<void>((resolve) => {
        if (socket.destroyed || !socket.writable) return resolve();
        socket.once("close", () => resolve());
        socket.end(() => resolve());
      });
    },
    abort() {
      close();
    },
  });

  return { readable, writable, close, coalesce: true };
}

/**
 * Opens a TCP or TLS connection to a STOMP broker from Node (or Bun), with
 * `node:net` and `node:tls`, from a URL: `tcp://host:port` or
 * `stomp://host:port` (port 61613 by default), or `tls://host:port` or
 * `stomp+ssl://host:port` (port 61614 by default). {@linkcode openTransport}
 * calls it for those URLs when the runtime is not Deno.
 *
 * The transport sends with `TCP_NODELAY` and waits for each write to reach
 * the kernel, so a broker that stops reading holds the writer back; a reader
 * that falls 64 KiB behind pauses the socket. For TLS the handshake is
 * completed before it resolves, so a certificate that does not verify is
 * reported here.
 *
 * @example Connecting to a loopback server (here run in Deno, through its Node compatibility)
 * ```ts
 * import { connectNodeTcp } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const server = (async () => {
 *   using conn = await listener.accept();
 *   await conn.write(new TextEncoder().encode("CONNECTED\nversion:1.2\n\n\0"));
 * })();
 * const transport = await connectNodeTcp(`tcp://127.0.0.1:${listener.addr.port}`);
 * await server;
 * const received = await new Response(transport.readable).text();
 * assertEquals(received, "CONNECTED\nversion:1.2\n\n\0");
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
export async function connectNodeTcp(
  url: string | URL,
  options: NodeTcpConnectOptions = {},
): Promise<StompTransport> {
  const target = tcpTarget(
    url,
    options.hostname,
    STOMP_PORTS,
    "connect over TCP",
  );
  const settings = tlsSettings(options, "Cannot connect over TCP");
  if (!target.tls) {
    refuseTlsSettings(settings, target.name, "tls:", "Cannot connect over TCP");
  }
  const { caCerts, cert, key } = settings;
  const deadline = connectSignal(options, "connect over TCP");
  const signal = deadline.signal;
  try {
    // Whether the TCP connection is open and the TLS handshake under way.
    let handshaking = false;
    const fail = (cause: unknown) =>
      connectFailure(
        target.name,
        target.url.href,
        signal,
        options.timeout,
        cause,
        (cause) =>
          handshaking
            ? describeHandshake(cause, target.hostname, target.name)
            : describe(cause, target.hostname),
      );
    if (signal?.aborted) throw fail(signal.reason);

    const net = await import("node:net");
    const tls = target.tls ? await import("node:tls") : undefined;
    return await new Promise<StompTransport>((resolve, reject) => {
      // Frames are small writes: with Nagle's algorithm a frame written while
      // the previous one is unacknowledged waits for the peer's delayed ACK.
      const raw = net.connect({
        host: target.hostname,
        port: target.port,
        noDelay: true,
      });
      let secure: TLSSocket | undefined;
      const onFailure = (error: unknown) => {
        signal?.removeEventListener("abort", onAbort);
        secure?.destroy();
        raw.destroy();
        reject(fail(error));
      };
      const onAbort = () => onFailure(signal?.reason);
      const onEarlyClose = () => onFailure(new EarlyClose());
      const ready = (socket: Socket) => {
        signal?.removeEventListener("abort", onAbort);
        socket.off("error", onFailure);
        socket.off("close", onEarlyClose);
        resolve(fromNodeSocket(socket));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      raw.once("error", onFailure);
      raw.once("close", onEarlyClose);
      raw.once("connect", () => {
        if (tls === undefined) {
          ready(raw);
          return;
        }
        // From here on the TLS socket reports the raw socket's errors too; the
        // listener left on the raw socket only keeps them from being thrown.
        raw.off("error", onFailure);
        raw.off("close", onEarlyClose);
        raw.on("error", () => {});
        handshaking = true;
        // The certificate is checked against `host` (or `servername`): without
        // them, on a socket it did not open, tls.connect checks "localhost".
        const tlsOptions: ConnectionOptions = {
          socket: raw,
          host: target.hostname,
        };
        // SNI takes a host name, never an address (RFC 6066).
        if (net.isIP(target.hostname) === 0) {
          tlsOptions.servername = target.hostname;
        }
        if (caCerts !== undefined) {
          tlsOptions.ca = [...tls.rootCertificates, ...caCerts];
        }
        if (cert !== undefined && key !== undefined) {
          tlsOptions.cert = cert;
          tlsOptions.key = key;
        }
        try {
          secure = tls.connect(tlsOptions);
        } catch (error) {
          // A certificate or key Node cannot parse throws here, in an event
          // handler, where it would end the process.
          onFailure(error);
          return;
        }
        secure.once("error", onFailure);
        secure.once("close", onEarlyClose);
        secure.once("secureConnect", () => ready(secure!));
      });
    });
  } finally {
    deadline.clear();
  }
}
