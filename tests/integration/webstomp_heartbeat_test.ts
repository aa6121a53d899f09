// RabbitMQ 3.10's Web-STOMP resets a WebSocket connection that carries
// client heart-beats during a burst of sends (it logs
// `{unexpected_message,resume}` from rabbit_heartbeat). The reset is flaky
// by nature, so each attempt asserts what the error says whenever it
// happens; without client heart-beats the same burst goes through. The
// deterministic proof is tests/client_lost_hint_test.ts.

import { assert, assertEquals } from "@std/assert";
import { StompConnectionError } from "@stomper/stomp/client";
import { BROKERS, connectTo } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";

const BURST = 5000;
const ATTEMPTS = 4;

/** Sends a burst and its receipt; the error that ended it, if one did. */
async function burst(
  heartBeat: readonly [number, number] | undefined,
): Promise<Error | undefined> {
  const client = await connectTo(BROKERS.rabbitmqWs, {
    ...(heartBeat === undefined ? {} : { heartBeat }),
    onError: () => {},
  });
  const queue = uniqueQueue("ws-burst");
  const body = "x".repeat(100);
  try {
    for (let i = 0; i < BURST; i++) client.send(queue, body);
    await client.send(queue, "end", { receipt: true });
    await client.disconnect();
    return undefined;
  } catch (error) {
    client.close();
    return error as Error;
  }
}

Deno.test("StompClient over RabbitMQ Web-STOMP: a reset under client heart-beats says how to avoid it, and heartBeat [0, N] avoids it", async () => {
  let resets = 0;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const error = await burst(undefined); // the default heart-beats
    if (error === undefined) continue;
    resets++;
    assert(error instanceof StompConnectionError, String(error));
    assert(
      error.message.includes(
        "RabbitMQ's Web-STOMP is known to reset connections that carry client heart-beats during bursts of sends; use heartBeat: [0, N]",
      ),
      error.message,
    );
  }
  console.log(
    `default heart-beats: ${resets} of ${ATTEMPTS} bursts of ${BURST} sends reset`,
  );
  for (let attempt = 0; attempt < 2; attempt++) {
    assertEquals(await burst([0, 10000]), undefined);
  }
});
