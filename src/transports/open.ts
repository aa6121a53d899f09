/**
 * {@linkcode openTransport}: one entry point that opens the right transport
 * for a URL's scheme.
 *
 * @module
 */

import { redactUrl } from "../_redact.ts";
import { isCloudflareWorkers, isDeno, isNodeLike } from "./_runtime.ts";
import { hostPortHint, tcpSchemeIsTls, WEBSOCKET_HINT } from "./_url.ts";
import { connectCloudflareTcp } from "./cloudflare.ts";
import { connectTcp, type TcpConnectOptions } from "./deno.ts";
import { connectNodeTcp, type NodeTcpConnectOptions } from "./node.ts";
import type { StompTransport } from "./transport.ts";
import { connectWebSocket, type WebSocketConnectOptions } from "./websocket.ts";

/**
 * Options of {@linkcode openTransport}: those of the TCP/TLS (Deno and Node)
 * and WebSocket transports; each uses the ones that apply to its scheme.
 * `caCerts`, `cert` and `key` apply to `tls:` and `wss:` URLs (to `wss:` in
 * Deno only: elsewhere they are refused) and are left out for `tcp:` and
 * `ws:` ones (the transport functions themselves refuse them there, as a
 * sign that TLS was meant); `hostname` to `tcp:` and `tls:`
 * URLs only (refused for WebSocket URLs); `readBufferSize` to Deno's TCP and
 * TLS (Node sizes its own reads).
 */
export interface OpenTransportOptions
  extends TcpConnectOptions, NodeTcpConnectOptions, WebSocketConnectOptions {}

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
 * Opens a transport to a STOMP broker from its URL.
 *
 * - `tcp://host:port` or `stomp://host:port`, and `tls://host:port` or
 *   `stomp+ssl://host:port`: with {@linkcode connectTcp} in Deno, with
 *   {@linkcode connectCloudflareTcp} in Cloudflare Workers and workerd
 *   (whatever their compatibility date and flags), with
 *   {@linkcode connectNodeTcp} in Node and Bun. Browsers cannot open them.
 * - `ws://` or `wss://`: with {@linkcode connectWebSocket}, where the runtime
 *   has a global `WebSocket` (Deno, browsers, Bun, Workers, Node 22 and
 *   later).
 *
 * @example Opening a transport named by a URL
 * ```ts
 * import { openTransport } from "@stomper/stomp/transports";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept();
 * const transport = await openTransport(`tcp://127.0.0.1:${listener.addr.port}`);
 * using _server = await accepted;
 * transport.close();
 * assertEquals(await new Response(transport.readable).text(), "");
 * ```
 *
 * @param url The broker's URL.
 * @param options Options for the transport the scheme selects.
 * @returns The transport, once connected.
 * @throws {TypeError} (as a rejection) For an invalid URL or an unknown
 * scheme, a TCP URL in a runtime without TCP (a browser), a WebSocket URL
 * in a runtime without a global `WebSocket` (Node before 22), an option the
 * transport cannot honour (`hostname` for a WebSocket URL; `caCerts`,
 * `cert` or `key` for a `wss:` URL outside Deno, or for a `tls:` URL in
 * Workers) or a bad one; the message says what to do instead.
 * @throws {TransportConnectError} (as a rejection) When the connection cannot
 * be opened.
 */
export async function openTransport(
  url: string | URL,
  options: OpenTransportOptions = {},
): Promise<StompTransport> {
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
  const secure = tcpSchemeIsTls(parsed.protocol);
  // TLS settings apply to the TLS schemes only: one set of options serves
  // every URL of a failover list.
  if (secure === false || parsed.protocol === "ws:") {
    options = withoutTlsSettings(options);
  }
  if (secure !== undefined) {
    if (isDeno()) return await connectTcp(parsed, options);
    // Before Node: with nodejs_compat a Worker looks like Node too.
    if (isCloudflareWorkers()) {
      return await connectCloudflareTcp(parsed, options);
    }
    if (isNodeLike()) return await connectNodeTcp(parsed, options);
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

/** The options without caCerts, cert and key. */
function withoutTlsSettings(
  options: OpenTransportOptions,
): OpenTransportOptions {
  const { caCerts: _caCerts, cert: _cert, key: _key, ...rest } = options;
  return rest;
}
