/**
 * Testing helpers: {@linkcode StompTestBroker}, an in-memory STOMP broker on a
 * loopback port, and {@linkcode ManualTimers}, a clock to drive the client's
 * heart-beats and timeouts without waiting.
 *
 * The test broker lets applications (and this library's own tests and demo)
 * run STOMP code with nothing installed. It is not a production broker: use
 * RabbitMQ, ActiveMQ or Artemis there.
 *
 * @example Testing application code against the test broker
 * ```ts
 * import { StompClient } from "@stomper/stomp/client";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen();
 * await using client = await StompClient.connectUrl(broker.url);
 * const audit = await client.subscribe("/topic/audit");
 * await client.send("/topic/audit", "user logged in");
 * for await (const message of audit) {
 *   assertEquals(message.text, "user logged in");
 *   break;
 * }
 * ```
 *
 * @module
 */

export * from "./broker.ts";
export * from "./manual_timers.ts";
