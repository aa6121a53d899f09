/**
 * {@linkcode openTransport}: one entry point that opens the right transport
 * for a URL's scheme.
 *
 * @module
 */

import { hostPortHint } from "./_url.ts";
import { connectTcp, type TcpConnectOptions } from "./deno.ts";
import type { StompTransport } from "./transport.ts";
import { connectWebSocket, type WebSocketConnectOptions } from "./websocket.ts";

/**
 * Options of {@linkcode openTransport}: those of the TCP/TLS and WebSocket
 * transports; each uses the ones that apply to it.
 */
export interface OpenTransportOptions
  extends TcpConnectOptions, WebSocketConnectOptions {}

/**
 * The URL schemes {@linkcode openTransport} understands.
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
  "stomp+ssl:",
  "ws:",
  "wss:",
]);

/**
 * Opens a transport to a STOMP broker from its URL: `tcp://host:port`,
 * `tls://host:port` or `stomp+ssl://host:port` with
 * {@linkcode connectTcp} (Deno only), `ws://` or `wss://` with
 * {@linkcode connectWebSocket}.
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
 * scheme, or a TCP URL outside Deno.
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
  } catch (cause) {
    throw new TypeError(
      `Cannot open transport: invalid URL ${JSON.stringify(String(url))}${
        hostPortHint(String(url))
      }`,
      { cause },
    );
  }
  switch (parsed.protocol) {
    case "ws:":
    case "wss:":
      return await connectWebSocket(parsed, options);
    case "tcp:":
    case "tls:":
    case "stomp+ssl:":
      if (typeof (globalThis as { Deno?: unknown }).Deno !== "object") {
        throw new TypeError(
          `Cannot open transport: ${parsed.protocol} URLs need Deno (this runtime has no Deno.connect); use a ws: or wss: URL`,
        );
      }
      return await connectTcp(parsed, options);
    default:
      throw new TypeError(
        `Cannot open transport: unknown scheme "${parsed.protocol}" in ${
          JSON.stringify(parsed.href)
        } (expected one of ${TRANSPORT_SCHEMES.join(", ")})${
          hostPortHint(String(url))
        }`,
      );
  }
}
