/**
 * The STOMP client: {@linkcode StompClient} connects over any transport,
 * sends, subscribes, acknowledges, runs transactions, keeps heart-beats and
 * can reconnect. Under it, {@linkcode StompSession} is the protocol state
 * machine without I/O.
 *
 * @example Send and receive
 * ```ts
 * import { StompClient } from "@stomper/stomp/client";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen();
 * await using client = await StompClient.connectUrl(broker.url);
 * const subscription = await client.subscribe("/queue/greetings");
 * await client.send("/queue/greetings", "hello");
 * for await (const message of subscription) {
 *   assertEquals(message.text, "hello");
 *   break;
 * }
 * ```
 *
 * @module
 */

// StompClient.connectUrl opens tcp: and tls: URLs once open.ts is loaded;
// "@stomper/stomp/browser" exports the client without it.
import "../transports/open.ts";

export * from "./client.ts";
export * from "./errors.ts";
export * from "./message.ts";
export * from "./options.ts";
export * from "./session.ts";
export * from "./subscription.ts";
export * from "./trace.ts";
export * from "./transaction.ts";
export * from "./worker_timers.ts";
