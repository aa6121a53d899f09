/**
 * stomper for a web page: the client, the codec and the WebSocket transport,
 * without the TCP transports of Deno, Node and Cloudflare Workers, which a
 * page cannot use. {@linkcode StompClient.connectUrl} takes `ws:` and `wss:`
 * URLs; a bundle of a page built on this entry point is lighter by what
 * those transports weigh. Everything here is the same as in
 * `@stomper/stomp`, which exports all of it and the TCP transports.
 *
 * @example Connecting over WebSocket
 * ```ts
 * import { StompClient } from "@stomper/stomp/browser";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen({ webSocket: true });
 * await using client = await StompClient.connectUrl(broker.webSocketUrl!);
 * const news = await client.subscribe("/topic/news");
 * await client.send("/topic/news", "hello");
 * for await (const message of news) {
 *   assertEquals(message.text, "hello");
 *   break;
 * }
 * ```
 *
 * @module
 */

export * from "./codec.ts";
export * from "./transports/errors.ts";
export * from "./transports/fetch.ts";
export * from "./transports/transport.ts";
export * from "./transports/websocket.ts";
export * from "./client/client.ts";
export * from "./client/errors.ts";
export * from "./client/message.ts";
export * from "./client/options.ts";
export * from "./client/session.ts";
export * from "./client/subscription.ts";
export * from "./client/trace.ts";
export * from "./client/transaction.ts";
export * from "./client/worker_timers.ts";
