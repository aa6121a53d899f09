// The client used as a JavaScript caller (no type checker) or a hurried
// TypeScript caller uses it: a number given as a string, null where an
// object is expected. Each is refused with a typed error whose message shows
// what was wrong, a string quoted so that "100" is not read as 100.

import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { connect, StompClient, type StompClientOptions } from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

Deno.test("StompClient.connectUrl quotes a number option given as a string", async () => {
  await using broker = StompTestBroker.listen();
  for (
    const [name, detail] of [
      ["receiptTimeout", "must be a non-negative number"],
      ["sendBufferSize", "must be a positive number"],
      ["highWaterMark", "must be a positive integer"],
    ] as const
  ) {
    await assertRejects(
      () =>
        StompClient.connectUrl(broker.url, {
          [name]: "100",
        } as unknown as StompClientOptions),
      RangeError,
      `Cannot create client: ${name} ${detail}, got "100"`,
    );
  }
});

Deno.test("StompClient operations quote a timeout or highWaterMark given as a string", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, {
    onError: () => {},
  });
  await assertRejects(
    () => client.send("/queue/a", "x", { timeout: "100" as unknown as number }),
    RangeError,
    'Cannot SEND to "/queue/a": timeout must be a non-negative number, got "100"',
  );
  await assertRejects(
    () =>
      client.subscribe("/queue/a", {
        highWaterMark: "5" as unknown as number,
      }),
    RangeError,
    'Cannot subscribe: highWaterMark must be a positive integer, got "5"',
  );
  // A number is shown as it is.
  await assertRejects(
    () => client.send("/queue/a", "x", { timeout: -1 }),
    RangeError,
    'Cannot SEND to "/queue/a": timeout must be a non-negative number, got -1',
  );
});

Deno.test("StompClient.connectUrl with reconnect rejects at once for a CONNECT header of the wrong type", async () => {
  // The CONNECT frame is built from the options on every attempt: a header
  // that is not a string is the same mistake each time, not an outage to
  // retry with backoff for minutes.
  await using broker = StompTestBroker.listen();
  for (
    const [options, message] of [
      [
        { host: 5 },
        "Cannot build CONNECT frame: host must be a non-empty string, got 5",
      ],
      [
        { passcode: 1234 },
        'Cannot append header "passcode": the value must be a string, got a number',
      ],
      [
        { headers: { "client-id": 7 } },
        "Cannot create headers: expected [name, value] string pairs",
      ],
    ] as const
  ) {
    let attempts = 0;
    const started = performance.now();
    await assertRejects(
      () =>
        StompClient.connectUrl(broker.url, {
          ...options,
          reconnect: { initialDelay: 200 },
          beforeConnect: () => {
            attempts++;
            return {};
          },
        } as unknown as StompClientOptions),
      TypeError,
      message,
    );
    assertEquals(attempts, 1);
    const took = performance.now() - started;
    if (took > 150) throw new Error(`Took ${took} ms`);
  }
});

Deno.test("StompClient.connectUrl refuses acceptVersion given as one string, saying what it got", async () => {
  await using broker = StompTestBroker.listen();
  await assertRejects(
    () =>
      StompClient.connectUrl(broker.url, {
        acceptVersion: "1.2",
      } as unknown as StompClientOptions),
    TypeError,
    'Cannot create session: acceptVersion must list versions among 1.0, 1.1, 1.2, got "1.2"',
  );
  assertThrows(
    () => connect({ host: "/", acceptVersion: "1.2" as never }),
    TypeError,
    'Cannot build CONNECT frame: accept-version must list versions among 1.0, 1.1, 1.2, got "1.2"',
  );
});
