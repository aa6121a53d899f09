// The beforeConnect hook (src/client/_brokers.ts): what it returns is checked
// and a mistake refused at the call, never sent to the broker as a refused
// login; one that does not settle is named in the timeout. The in-process
// test broker over real sockets.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { StompClient, StompConnectionError } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

Deno.test("StompClient names a beforeConnect that does not settle within connectTimeout", async () => {
  await using broker = StompTestBroker.listen();
  await assertRejects(
    () =>
      StompClient.connectUrl(broker.url, {
        connectTimeout: 100,
        beforeConnect: () => new Promise(() => {}),
      }),
    StompConnectionError,
    "Cannot connect: beforeConnect did not settle within 100 ms (connectTimeout)",
  );
  assertEquals(broker.connections, 0, "no transport was opened");
});

Deno.test("StompClient refuses what beforeConnect returns that is not settings, naming its type and never its value", async () => {
  await using broker = StompTestBroker.listen({
    login: "app",
    passcode: "tok-4711",
  });
  for (
    const [value, message] of [
      [4711, "beforeConnect must return an object or undefined, got a number"],
      [
        "tok-4711",
        "beforeConnect must return an object or undefined, got a string",
      ],
      [
        ["tok-4711"],
        "beforeConnect must return an object or undefined, got an array",
      ],
      [
        { passcode: 4711 },
        "beforeConnect returned a passcode that is a number, not a string",
      ],
      [
        { login: "app", host: true },
        "beforeConnect returned a host that is a boolean, not a string",
      ],
      [
        { url: 4711 },
        "beforeConnect returned a url that is a number, not a string or URL",
      ],
      [
        { headers: "x:1" },
        "beforeConnect returned headers that are a string, not an object",
      ],
      [
        { pascode: "tok-4711" },
        'beforeConnect returned an unknown setting "pascode" (did you mean "passcode"?)',
      ],
    ] as const
  ) {
    const error = await assertRejects(
      () =>
        StompClient.connectUrl(broker.url, {
          login: "app",
          reconnect: { initialDelay: 5, retries: 3 },
          // deno-lint-ignore no-explicit-any
          beforeConnect: () => value as any,
        }),
      TypeError,
    );
    assertEquals(error.message, `Cannot connect: ${message}`);
    assert(!error.message.includes("4711"), error.message);
  }
  assertEquals(broker.connections, 0, "no transport was opened");
});

Deno.test("StompClient takes null or undefined from beforeConnect as no settings", async () => {
  await using broker = StompTestBroker.listen();
  for (const value of [null, undefined]) {
    await using client = await StompClient.connectUrl(broker.url, {
      // deno-lint-ignore no-explicit-any
      beforeConnect: () => value as any,
    });
    assertEquals(client.state, "connected");
  }
});
