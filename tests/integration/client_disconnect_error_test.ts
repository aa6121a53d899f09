// On RabbitMQ: a SEND without a receipt to an /exchange/ that does not exist,
// then disconnect(): the ERROR comes instead of DISCONNECT's RECEIPT, and
// disconnect() and client.closed reject with it.

import { assertInstanceOf, assertMatch, assertRejects } from "@std/assert";
import { StompConnectionError, StompServerError } from "@stomper/stomp/client";
import { BROKERS, connectTo } from "./_client.ts";

Deno.test("StompClient on RabbitMQ: disconnect() and closed reject with the ERROR for a SEND without receipt to a missing exchange", async () => {
  const client = await connectTo(BROKERS.rabbitmqTcp, {
    heartBeat: [0, 0],
    onError: () => {},
  });
  await client.send(`/exchange/stomper-missing-${crypto.randomUUID()}`, "lost");
  const failure = await assertRejects(
    () => client.disconnect(),
    StompConnectionError,
  );
  assertInstanceOf(failure.cause, StompServerError);
  assertMatch(failure.message, /NOT_FOUND - no exchange/);
  await assertRejects(() => client.closed, StompConnectionError);
});
