// URL handling shared by the transports, openTransport and the client's
// connectUrl. URLs in messages go through redactUrl: they may hold a passcode.

import { redactUrl } from "../_redact.ts";

/**
 * For what looks like `host:port` without a scheme (which URL parsing takes
 * for an invalid URL, or for a scheme named after the host), the URL meant,
 * as the end of an error message; else "".
 */
export function hostPortHint(text: string): string {
  if (/^[^/:\s]+:\d+$/.test(text)) {
    return `; to connect over TCP, write ${JSON.stringify(`tcp://${text}`)}`;
  }
  // A port past 65535 makes the whole URL invalid: say which part.
  const port = /^[^:/?#]+:\/\/(?:[^@/?#]*@)?[^/?#]*:(\d+)(?:[/?#]|$)/.exec(
    text,
  )?.[1];
  return port !== undefined && Number(port) > 65535
    ? `; port ${port} is out of range (1 to 65535)`
    : "";
}

/**
 * Throws a `TypeError` for a URL that names port 0, which no server listens
 * on (the operating system would refuse it, or pick any port).
 */
export function refusePortZero(url: URL, what: string): void {
  if (url.port === "0") {
    throw new TypeError(
      `Cannot ${what}: port 0 in ${
        JSON.stringify(redactUrl(url))
      } is not a port to connect to (1 to 65535)`,
    );
  }
}

/**
 * For a WebSocket URL whose socket did not open (no answer to the upgrade
 * in time, or an answer that is not HTTP), as the end of an error message:
 * a port that speaks STOMP over TCP (or TLS) answers so, and the URL may
 * mean `tcp://` (`tls://`); else "".
 */
export function websocketPortHint(url: URL): string {
  const secure = url.protocol === "wss:";
  if (!secure && url.protocol !== "ws:") return "";
  return ` (if this port speaks STOMP over ${
    secure ? "TLS" : "TCP"
  } rather than WebSocket, use ${
    JSON.stringify(`${secure ? "tls" : "tcp"}://${url.host}`)
  })`;
}

/**
 * For a WebSocket URL whose socket failed with `failure` (the runtime's
 * words), as the end of an error message: an answer to the upgrade that is
 * not HTTP (a STOMP port, see {@linkcode websocketPortHint}), or, for
 * `wss:`, a TLS handshake answered without TLS (a `ws:` port); else "".
 */
export function failureHint(url: URL, failure: string): string {
  if (/invalid HTTP/i.test(failure)) return websocketPortHint(url);
  return url.protocol === "wss:" &&
      /corrupt message|InvalidContentType|wrong version number/i.test(failure)
    ? ` (if this port speaks WebSocket without TLS, use ${
      JSON.stringify(`ws://${url.host}${url.pathname}`)
    })`
    : "";
}

/**
 * Whether a URL scheme names TLS (`tls:`, `stomp+ssl:`) or plain TCP (`tcp:`,
 * `stomp:`); `undefined` for any other scheme.
 */
export function tcpSchemeIsTls(protocol: string): boolean | undefined {
  switch (protocol) {
    case "tcp:":
    case "stomp:":
      return false;
    case "tls:":
    case "stomp+ssl:":
      return true;
    default:
      return undefined;
  }
}

/** Where a TCP or TLS transport connects to, from its URL. */
export interface TcpTarget {
  /** The URL, parsed. */
  url: URL;
  /** Whether to speak TLS. */
  tls: boolean;
  /** The host, without the brackets of an IPv6 address. */
  hostname: string;
  /** The port: the URL's, or the scheme's default. */
  port: number;
  /** `scheme//host:port`, for messages. */
  name: string;
}

/**
 * Parses a `tcp:`, `stomp:`, `tls:` or `stomp+ssl:` URL.
 *
 * @param url The URL.
 * @param hostname A host that replaces the URL's, when given.
 * @param ports The default ports of plain TCP and of TLS.
 * @param what What is being attempted, for the error messages.
 * @returns The target.
 * @throws {TypeError} For an invalid URL, another scheme, or no host.
 */
export function tcpTarget(
  url: string | URL,
  hostname: string | undefined,
  ports: { tcp: number; tls: number },
  what: string,
): TcpTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The parser's error quotes the URL whole: not kept as the cause.
    throw new TypeError(
      `Cannot ${what}: invalid URL ${JSON.stringify(redactUrl(url))}`,
    );
  }
  const scheme = parsed.protocol;
  const tls = tcpSchemeIsTls(scheme);
  if (tls === undefined) {
    throw new TypeError(
      `Cannot ${what}: unsupported scheme "${scheme}" in ${
        JSON.stringify(redactUrl(parsed))
      } (expected tcp:, stomp:, tls: or stomp+ssl:)`,
    );
  }
  refusePortZero(parsed, what);
  const host = hostname ?? stripBrackets(parsed.hostname);
  if (host === "") {
    throw new TypeError(
      `Cannot ${what}: no host in ${JSON.stringify(redactUrl(parsed))}`,
    );
  }
  const port = parsed.port === ""
    ? (tls ? ports.tls : ports.tcp)
    : Number(parsed.port);
  const name = `${scheme}//${host.includes(":") ? `[${host}]` : host}:${port}`;
  return { url: parsed, tls, hostname: host, port, name };
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]")
    ? hostname.slice(1, -1)
    : hostname;
}

/** Where to get a WebSocket in a runtime without a global one. */
export const WEBSOCKET_HINT =
  "Node has one from version 22, and from 20.10 with --experimental-websocket; or set globalThis.WebSocket to a standard WebSocket class, such as the ws package's";
