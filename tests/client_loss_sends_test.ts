// Sends around a connection loss, through a relay that cuts the connection
// (tests/_chaos.ts) in front of the test broker: issued before the loss is
// noticed, they follow the reconnect semantics (docs/client.md: a SEND
// written on the lost connection rejects with the loss; with reconnect,
// what waits goes out on the next connection); issued after it, on a
// client closed by the loss, they reject naming the loss, not only "the
// client is closed".

import { assertEquals, assertInstanceOf } from "@std/assert";
import { StompClient, StompConnectionError } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { ChaosRelay } from "./_chaos.ts";
import { eventually, failure } from "./_helpers.ts";

Deno.test("StompClient.send issued after the connection was lost names the loss (no reconnect, a relay that cuts)", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  const client = await StompClient.connectUrl(relay.url, {
    heartBeat: [0, 0],
    onError: () => {},
  });
  // Issued while connected, before the loss is noticed: written on the
  // connection that is lost, so it fails with the loss.
  relay.cut();
  const inFlight = client.send("/queue/a", "1", { receipt: true });
  const lost = await failure(client.closed);
  assertEquals(lost.message, "The server closed the connection");
  assertEquals(await failure(inFlight), lost);
  // Issued once closed: the loss is in the message, not only the cause.
  const late = await failure(client.send("/queue/a", "2"));
  assertInstanceOf(late, StompConnectionError);
  assertEquals(
    late.message,
    "Cannot send: the client is closed: The server closed the connection",
  );
  assertEquals(late.cause, lost);
  const request = await failure(client.request("/queue/a", "3"));
  assertEquals(
    request.message,
    "Cannot send a request: the client is closed: The server closed the connection",
  );
});

Deno.test("StompClient.send issued while reconnecting goes out on the next connection (reconnect, a relay that cuts)", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  const client = await StompClient.connectUrl(relay.url, {
    heartBeat: [0, 0],
    onError: () => {},
    reconnect: { initialDelay: 10, maxDelay: 10 },
  });
  relay.cut();
  await eventually(() => client.state === "reconnecting");
  await client.send("/queue/after", "waited", { receipt: true });
  assertEquals(client.state, "connected");
  assertEquals(broker.depth("/queue/after"), 1);
  await client.disconnect();
});
