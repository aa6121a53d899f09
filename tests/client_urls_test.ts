// The brokers' URLs (src/client/_urls.ts): what connectUrl and a
// beforeConnect url refuse at the call, saying what to write instead. The
// in-process test broker and real sockets throughout.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { StompClient, StompConnectionError } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

Deno.test("StompClient.connectUrl refuses a login or passcode that is not valid percent-encoding, naming the part", async () => {
  for (
    const [url, part, secret] of [
      ["tcp://user:50%off@127.0.0.1:1", "passcode", "50%off"],
      ["tcp://user:%zz@127.0.0.1:1", "passcode", "%zz"],
      ["tcp://us%zz:pw@127.0.0.1:1", "login", "pw@"],
    ] as const
  ) {
    const error = await assertRejects(
      () => StompClient.connectUrl(url),
      TypeError,
      `Cannot connect: the ${part} in "tcp://`,
    );
    assert(
      error.message.endsWith("is not valid percent-encoding (write % as %25)"),
      error.message,
    );
    assert(!error.message.includes(secret), error.message);
  }
});

Deno.test("StompClient.connectUrl logs in with a passcode whose % is written as %25", async () => {
  await using broker = StompTestBroker.listen({
    login: "user",
    passcode: "50%off",
  });
  await using client = await StompClient.connectUrl(
    `tcp://user:50%25off@127.0.0.1:${broker.port}`,
  );
  assertEquals(client.state, "connected");
});

Deno.test("StompClient refuses a beforeConnect url whose passcode is not valid percent-encoding, naming the part once", async () => {
  await using broker = StompTestBroker.listen();
  const error = await assertRejects(
    () =>
      StompClient.connectUrl(broker.url, {
        beforeConnect: () => ({
          url: `tcp://user:50%off@127.0.0.1:${broker.port}`,
        }),
      }),
    StompConnectionError,
  );
  assertEquals(
    error.message,
    `Cannot connect: beforeConnect returned a bad url: the passcode in "tcp://user:***@127.0.0.1:${broker.port}" is not valid percent-encoding (write % as %25)`,
  );
});
