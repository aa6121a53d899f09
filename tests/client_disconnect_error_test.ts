// disconnect(), drain() and client.closed when the server answers the
// DISCONNECT with an ERROR (it refused something sent before, without a
// receipt) rather than the RECEIPT: they reject with the server's error
// (src/client/_core.ts). The test broker refuses a destination it does not
// know; tests/integration/client_disconnect_error_test.ts does it on RabbitMQ.

import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import {
  StompClient,
  StompConnectionError,
  StompServerError,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

for (const how of ["disconnect", "drain"] as const) {
  Deno.test(`StompClient ${how}() rejects, and closed too, with the server's ERROR that came instead of DISCONNECT's RECEIPT`, async () => {
    await using broker = StompTestBroker.listen();
    const reported: Error[] = [];
    const client = await StompClient.connectUrl(broker.url, {
      heartBeat: [0, 0],
      onError: (error) => reported.push(error),
    });
    await client.send("/nowhere/a", "refused");
    const failure = await assertRejects(
      () => how === "disconnect" ? client.disconnect() : client.drain(),
      StompConnectionError,
      "Connection ended by an ERROR from the server",
    );
    assertInstanceOf(failure.cause, StompServerError);
    const closed = await assertRejects(
      () => client.closed,
      StompConnectionError,
    );
    assertEquals(closed, failure);
    assertEquals(client.state, "closed");
    // The server's error, reported once.
    assertEquals(reported.length, 1);
    assertInstanceOf(reported[0], StompServerError);
  });
}

Deno.test("StompClient disconnect() resolves, and closed too, when DISCONNECT's RECEIPT comes", async () => {
  await using broker = StompTestBroker.listen();
  const client = await StompClient.connectUrl(broker.url, {
    heartBeat: [0, 0],
  });
  await client.send("/queue/a", "kept");
  await client.disconnect();
  await client.closed;
  assertEquals(broker.depth("/queue/a"), 1);
});
