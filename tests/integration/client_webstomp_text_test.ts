// RabbitMQ's Web-STOMP in text frame mode (ws_frame = text, port 15675 of
// scripts/brokers.sh) takes a binary body and delivers it as a text
// WebSocket message that is not UTF-8, which the runtime refuses by closing
// the connection: the consumer's error says so, and does not blame client
// heart-beats.

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { StompConnectionError } from "@stomper/stomp/client";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";

Deno.test("StompClient consuming a binary body from RabbitMQ Web-STOMP in text frame mode says the body is not UTF-8, not that heart-beats reset it", async () => {
  const queue = uniqueQueue("ws-text-binary");
  {
    await using producer = await connectTo(BROKERS.rabbitmqWsText);
    await producer.send(queue, new Uint8Array([0xff, 0xfe, 0x00, 0x41]), {
      receipt: true,
    });
  }
  const reported: Error[] = [];
  // With client heart-beats, as the hint for RabbitMQ's resets needs.
  const consumer = await connectTo(BROKERS.rabbitmqWsText, {
    heartBeat: [1000, 0],
    onError: (error) => reported.push(error),
  });
  try {
    const subscription = await consumer.subscribe(queue, { ack: "client" });
    const failure = await new Inbox(subscription).next(5000).then(
      (message) => message,
      (error: unknown) => error,
    );
    console.log("FAIL", failure);
    assertInstanceOf(failure, StompConnectionError);
    assert(
      failure.message.includes(
        "the server sent a text message that is not UTF-8: a binary body published to a text-mode endpoint",
      ),
      failure.message,
    );
    assert(!failure.message.includes("heart-beats"), failure.message);
    assertEquals(reported, [failure]);
  } finally {
    consumer.close();
    await consumer.closed.catch(() => {});
  }
  // RabbitMQ 3.10 does not put the message back (the queue is left empty,
  // although it was never acknowledged): nothing to take off.
});
