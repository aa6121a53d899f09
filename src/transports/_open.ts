// Opening a transport by URL without importing the TCP transports: WebSocket
// URLs are opened here, TCP and TLS ones by the opener open.ts registers when
// it is loaded. StompClient.connectUrl comes through here, so a program that
// loads the library through an entry point without open.ts (the browser
// one) bundles no Deno, Node or Cloudflare code.

import { refuseUnknownKeys } from "../_keys.ts";
import { redactUrl } from "../_redact.ts";
import type { OpenTransportOptions } from "./open.ts";
import { isCloudflareWorkers, isDeno, isNodeLike } from "./_runtime.ts";
import {
  hostPortHint,
  refusePortZero,
  tcpSchemeIsTls,
  WEBSOCKET_HINT,
} from "./_url.ts";
import type { StompTransport } from "./transport.ts";
import { connectWebSocket } from "./websocket.ts";

/**
 * The URL schemes {@linkcode openTransport} understands: `stomp:` is an alias
 * of `tcp:`, and `stomp+ssl:` of `tls:`.
 *
 * @example Checking a URL's scheme
 * ```ts
 * import { TRANSPORT_SCHEMES } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(TRANSPORT_SCHEMES.includes(new URL("ws://localhost:15674/ws").protocol), true);
 * ```
 */
export const TRANSPORT_SCHEMES: readonly string[] = Object.freeze([
  "tcp:",
  "tls:",
  "stomp:",
  "stomp+ssl:",
  "ws:",
  "wss:",
]);

/**
 * Opens a `tcp:` or `tls:` URL in the runtime at hand; `undefined` when the
 * runtime has no TCP (a browser).
 */
export type TcpOpener = (
  url: URL,
  options: OpenTransportOptions,
) => Promise<StompTransport> | undefined;

let tcpOpener: TcpOpener | undefined;

/** Makes `opener` the one for TCP and TLS URLs (open.ts, once loaded). */
export function registerTcpOpener(opener: TcpOpener): void {
  tcpOpener = opener;
}

/** `openTransport`, with TCP and TLS through the registered opener. */
export async function openUrl(
  url: string | URL,
  options: OpenTransportOptions,
): Promise<StompTransport> {
  refuseUnknownKeys(
    "Cannot open transport: unknown option",
    options ?? {},
    Object.keys(OPTION_NAMES),
  );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The parser's error quotes the URL whole: not kept as the cause.
    throw new TypeError(
      `Cannot open transport: invalid URL ${JSON.stringify(redactUrl(url))}${
        hostPortHint(String(url))
      }`,
    );
  }
  refusePortZero(parsed, "open transport");
  const secure = tcpSchemeIsTls(parsed.protocol);
  // TLS settings apply to the TLS schemes only: one set of options serves
  // every URL of a failover list.
  if (secure === false || parsed.protocol === "ws:") {
    options = withoutTlsSettings(options);
  }
  if (secure !== undefined) {
    const opened = tcpOpener?.(parsed, options);
    if (opened !== undefined) return await opened;
    if (
      tcpOpener === undefined &&
      (isDeno() || isCloudflareWorkers() || isNodeLike())
    ) {
      throw new TypeError(
        `Cannot open transport: ${parsed.protocol} URLs need the TCP transports, which "@stomper/stomp/browser" leaves out; import from "@stomper/stomp" instead`,
      );
    }
    throw new TypeError(
      `Cannot open transport: ${parsed.protocol} URLs need Deno, Node, Bun or Cloudflare Workers (this runtime has none of Deno.connect, node:net and cloudflare:sockets); use a ws: or wss: URL`,
    );
  }
  switch (parsed.protocol) {
    case "ws:":
    case "wss:":
      if (options.hostname !== undefined) {
        throw new TypeError(
          `Cannot open transport: the hostname option applies to tcp: and tls: URLs, and a WebSocket connects to its URL's host; put ${
            JSON.stringify(options.hostname)
          } in the ${parsed.protocol} URL instead`,
        );
      }
      if (typeof globalThis.WebSocket !== "function") {
        throw new TypeError(
          `Cannot open transport: ${parsed.protocol} URLs need a global WebSocket, and this runtime has none (${WEBSOCKET_HINT})`,
        );
      }
      return await connectWebSocket(parsed, options);
    default:
      throw new TypeError(
        `Cannot open transport: unknown scheme "${parsed.protocol}" in ${
          JSON.stringify(redactUrl(parsed))
        } (expected one of ${TRANSPORT_SCHEMES.join(", ")})${
          hostPortHint(String(url))
        }`,
      );
  }
}

/**
 * The option names of every transport (a new one missing here fails the type
 * check), so that a misspelt one (`maxUnreadByte`) is refused, not ignored.
 */
const OPTION_NAMES = {
  hostname: 0,
  caCerts: 0,
  cert: 0,
  key: 0,
  signal: 0,
  timeout: 0,
  readBufferSize: 0,
  messageType: 0,
  highWaterMark: 0,
  maxMessageBytes: 0,
  maxUnreadBytes: 0,
  protocols: 0,
} as const satisfies Record<keyof OpenTransportOptions, 0>;

/** The options without caCerts, cert and key. */
function withoutTlsSettings(
  options: OpenTransportOptions,
): OpenTransportOptions {
  const { caCerts: _caCerts, cert: _cert, key: _key, ...rest } = options;
  return rest;
}
