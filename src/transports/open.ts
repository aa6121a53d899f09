/**
 * {@linkcode openTransport}: one entry point that opens the right transport
 * for a URL's scheme.
 *
 * @module
 */

import { isCloudflareWorkers, isDeno, isNodeLike } from "./_runtime.ts";
import { openUrl, registerTcpOpener } from "./_open.ts";
import { WEBSOCKET_TLS } from "./_tls.ts";
import { registerWebSocketTls } from "./_wss.ts";
import { connectCloudflareTcp } from "./cloudflare.ts";
import { connectTcp, type TcpConnectOptions } from "./deno.ts";
import { connectNodeTcp, type NodeTcpConnectOptions } from "./node.ts";
import type { StompTransport } from "./transport.ts";
import type { WebSocketConnectOptions } from "./websocket.ts";

export { TRANSPORT_SCHEMES } from "./_open.ts";

// Loading this module gives openUrl (and so StompClient.connectUrl) its TCP
// and TLS transports; the browser entry point leaves it out.
registerTcpOpener((url, options) => {
  if (isDeno()) return connectTcp(url, options);
  // Before Node: with nodejs_compat a Worker looks like Node too.
  if (isCloudflareWorkers()) return connectCloudflareTcp(url, options);
  if (isNodeLike()) return connectNodeTcp(url, options);
  return undefined;
});
// And connectWebSocket its TLS settings for wss: URLs.
registerWebSocketTls(WEBSOCKET_TLS);

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
  return await openUrl(url, options);
}
