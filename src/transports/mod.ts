/**
 * Transports: byte connections to a STOMP broker as a pair of web streams
 * ({@linkcode StompTransport}), for the codec and the client to run over.
 *
 * - {@linkcode openTransport} picks one from a URL and the runtime: `tcp://`
 *   (or `stomp://`), `tls://` (or `stomp+ssl://`), `ws://`, `wss://`.
 * - Deno TCP and TLS: {@linkcode connectTcp}, {@linkcode fromConn}.
 * - Node (and Bun) TCP and TLS, over `node:net` and `node:tls`:
 *   {@linkcode connectNodeTcp}.
 * - Cloudflare Workers and workerd TCP and TLS, over `cloudflare:sockets`:
 *   {@linkcode connectCloudflareTcp}, {@linkcode fromCloudflareSocket}.
 * - WebSocket (Deno, browsers, any standard `WebSocket`):
 *   {@linkcode connectWebSocket}, {@linkcode fromWebSocket}.
 * - HTTP bodies: {@linkcode decodeBody}, {@linkcode encodeBody}.
 * - A Node socket of your own: `Duplex.toWeb(socket)` gives the `readable`
 *   and `writable` of a transport.
 *
 * Only the Deno transport touches `Deno.*`, only the Node one imports
 * `node:` modules and only the Cloudflare one `cloudflare:sockets`, each
 * only when called, so this module also loads in browsers.
 *
 * @example A CONNECT and CONNECTED exchange over TCP
 * ```ts
 * import { connectTcp } from "@stomper/stomp/transports";
 * import { connect, StompDecoderStream, StompEncoderStream } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * // A tiny loopback "broker" that answers any CONNECT.
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const broker = (async () => {
 *   using conn = await listener.accept();
 *   await conn.read(new Uint8Array(1024));
 *   await conn.write(new TextEncoder().encode("CONNECTED\nversion:1.2\n\n\0"));
 * })();
 *
 * const transport = await connectTcp(`tcp://127.0.0.1:${listener.addr.port}`);
 * const frames = transport.readable.pipeThrough(new StompDecoderStream());
 * const encoder = new StompEncoderStream();
 * const piped = encoder.readable.pipeTo(transport.writable);
 * const writer = encoder.writable.getWriter();
 * await writer.write(connect({ host: "/", login: "guest", passcode: "guest" }));
 * for await (const frame of frames) {
 *   assertEquals(frame.command, "CONNECTED");
 *   assertEquals(frame.headers.get("version"), "1.2");
 *   break;
 * }
 * await writer.close();
 * await piped;
 * transport.close();
 * await broker;
 * ```
 *
 * @module
 */

export * from "./cloudflare.ts";
export * from "./deno.ts";
export * from "./errors.ts";
export * from "./fetch.ts";
export * from "./node.ts";
export * from "./open.ts";
export * from "./transport.ts";
export * from "./websocket.ts";
