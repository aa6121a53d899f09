// The brokers' URLs (src/client/_urls.ts): what connectUrl and a
// beforeConnect url refuse at the call, saying what to write instead. The
// in-process test broker and real sockets throughout.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { StompClient, StompConnectionError } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { within } from "./_helpers.ts";

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

Deno.test("StompClient.connectUrl refuses port 0 at the call, not as a failed attempt retried", async () => {
  let failed = 0;
  const error = await assertRejects(
    () =>
      within(
        StompClient.connectUrl("tcp://app:s3cret@127.0.0.1:0", {
          reconnect: { initialDelay: 10, onFailedAttempt: () => failed++ },
        }),
        1000,
        "connectUrl",
      ),
    TypeError,
  );
  assertEquals(
    error.message,
    'Cannot connect: port 0 in "tcp://app:***@127.0.0.1:0" is not a port to connect to (1 to 65535)',
  );
  assertEquals(failed, 0);
  await assertRejects(
    () => StompClient.connectUrl(["ws://127.0.0.1:15674/ws", "ws://h:0/ws"]),
    TypeError,
    'port 0 in "ws://h:0/ws"',
  );
});

Deno.test("StompClient.connectUrl says which port is out of range", async () => {
  await assertRejects(
    () => StompClient.connectUrl("tcp://app:s3cret@127.0.0.1:65536"),
    TypeError,
    'Cannot connect: invalid URL "tcp://app:***@127.0.0.1:65536"; port 65536 is out of range (1 to 65535)',
  );
});
