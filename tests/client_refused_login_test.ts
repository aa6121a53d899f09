// A refused login (an ERROR in answer to CONNECT) is not an outage: with
// `reconnect`, the first connection fails at once with the server's error,
// and a reconnection refused so closes the client, unless `beforeConnect` is
// set (credentials that may change per attempt), which is then asked again
// (src/client/_core.ts #run). The in-process test broker over real sockets.

import {
  assert,
  assertEquals,
  assertLessOrEqual,
  assertRejects,
} from "@std/assert";
import {
  StompClient,
  StompConnectionError,
  StompServerError,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { eventually } from "./_helpers.ts";

const RECONNECT = { retries: 5, initialDelay: 300, maxDelay: 300 };

Deno.test("StompClient with reconnect fails the first connection at once with the server's ERROR refusing its login", async () => {
  await using broker = StompTestBroker.listen({
    login: "app",
    passcode: "right",
  });
  const start = performance.now();
  await assertRejects(
    () =>
      StompClient.connectUrl(broker.url, {
        login: "app",
        passcode: "wrong",
        reconnect: RECONNECT,
        onError: () => {},
      }),
    StompServerError,
  );
  assertLessOrEqual(performance.now() - start, 250, "no retry waited for");
  assertEquals(broker.connections, 0);
});

Deno.test("StompClient with reconnect and beforeConnect retries a refused login, asking beforeConnect again", async () => {
  await using broker = StompTestBroker.listen({
    login: "app",
    passcode: "right",
  });
  const asked: string[] = [];
  const client = await StompClient.connectUrl(broker.url, {
    reconnect: { retries: 5, initialDelay: 20, maxDelay: 20 },
    onError: () => {},
    beforeConnect: () => {
      const passcode = asked.length === 0 ? "expired" : "right";
      asked.push(passcode);
      return { login: "app", passcode };
    },
  });
  assertEquals(asked, ["expired", "right"]);
  assertEquals(client.state, "connected");
  await client.disconnect();
});

Deno.test("StompClient with reconnect closes at once, with the server's ERROR, when a reconnection's login is refused", async () => {
  const first = StompTestBroker.listen({ login: "app", passcode: "old" });
  const port = first.port;
  const client = await StompClient.connectUrl(first.url, {
    login: "app",
    passcode: "old",
    heartBeat: [0, 0],
    reconnect: RECONNECT,
    onError: () => {},
  });
  // The broker comes back on the same port, with other credentials.
  await first.close();
  await eventually(() => client.state === "reconnecting");
  await using second = StompTestBroker.listen({
    port,
    login: "app",
    passcode: "new",
  });
  const start = performance.now();
  const failure = await assertRejects(
    () => client.closed,
    StompConnectionError,
  );
  // One wait of 300 ms at most, then no retry: not five.
  assertLessOrEqual(performance.now() - start, 700);
  assert(failure.cause instanceof StompServerError, String(failure.cause));
  assertEquals(client.state, "closed");
  assertLessOrEqual(second.connections, 1);
});
