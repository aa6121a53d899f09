// StompClient's connection attempts: the beforeConnect hook (credentials and
// headers per attempt), the attempt handed to a transport function, and
// failover between the brokers of a URL list, against the in-process test
// broker over real sockets.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  type ConnectAttempt,
  StompClient,
  StompConnectionError,
  StompServerError,
} from "@stomper/stomp/client";
import { fromConn } from "@stomper/stomp/transports";
import { StompTestBroker } from "@stomper/stomp/testing";
import { parseBrokerUrls } from "../src/client/_urls.ts";
import { eventually } from "./_helpers.ts";

const FAST = { initialDelay: 5, maxDelay: 20, jitter: 0 };

Deno.test("StompClient beforeConnect sees every attempt and its passcode is the one used", async () => {
  await using broker = StompTestBroker.listen({
    login: "app",
    passcode: "token-3",
  });
  const seen: { number: number; reconnecting: boolean; port?: string }[] = [];
  const failed: string[] = [];
  await using client = await StompClient.connectUrl(broker.url, {
    login: "app",
    passcode: "stale",
    reconnect: { ...FAST, onFailedAttempt: (e) => failed.push(e.message) },
    beforeConnect: ({ number, reconnecting, url }) => {
      seen.push({ number, reconnecting, ...(url ? { port: url.port } : {}) });
      // Tokens 1 and 2 are refused; 3 is good, and stays so.
      return { passcode: `token-${Math.min(number, 3)}` };
    },
  });
  const port = String(broker.port);
  assertEquals(seen, [
    { number: 1, reconnecting: false, port },
    { number: 2, reconnecting: false, port },
    { number: 3, reconnecting: false, port },
  ]);
  assertEquals(failed.length, 2);
  assert(failed[0]!.includes("token") === false, "no secret in messages");
  assertEquals(client.state, "connected");
  // After a loss the hook runs again, told it reconnects.
  broker.dropConnections();
  await eventually(
    () => seen.length === 4 && client.state === "connected",
    5000,
  );
  assertEquals(seen[3], { number: 4, reconnecting: true, port });
});

Deno.test("StompClient beforeConnect replaces login, host and CONNECT headers for its attempt only", async () => {
  const connects: Record<string, string>[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => {
      if (frame.command === "CONNECT") {
        connects.push(Object.fromEntries(frame.headers));
      }
    },
  });
  await using client = await StompClient.connectUrl(
    `tcp://url-user:url-pass@127.0.0.1:${broker.port}`,
    {
      headers: { "client-id": "from-options" },
      reconnect: FAST,
      beforeConnect: ({ number }) =>
        number === 1
          ? { login: "hook-user", host: "vhost-1", headers: { x: "1" } }
          : undefined,
    },
  );
  broker.dropConnections();
  await eventually(
    () => connects.length === 2 && client.state === "connected",
    5000,
  );
  const first = connects[0]!;
  assertEquals(first.login, "hook-user");
  assertEquals(first.passcode, "url-pass");
  assertEquals(first.host, "vhost-1");
  assertEquals(first.x, "1");
  assertEquals(first["client-id"], undefined);
  const second = connects[1]!;
  assertEquals(second.login, "url-user");
  assertEquals(second.host, "/");
  assertEquals(second["client-id"], "from-options");
  assertEquals(second.x, undefined);
});

Deno.test("StompClient beforeConnect errors fail the attempt and are retried, then connect() rejects with them", async () => {
  await using broker = StompTestBroker.listen();
  let calls = 0;
  const error = await assertRejects(
    () =>
      StompClient.connectUrl(broker.url, {
        reconnect: { ...FAST, retries: 2 },
        beforeConnect: () => {
          calls++;
          return Promise.reject(new Error("token service down"));
        },
      }),
    StompConnectionError,
    "Cannot connect: gave up after 2 retries",
  );
  assertEquals(calls, 3);
  assertInstanceOf(error.cause, StompConnectionError);
  assertEquals(
    error.cause.message,
    "Cannot connect: beforeConnect failed: token service down",
  );
  assertEquals(broker.connections, 0, "no transport was opened");
});

Deno.test("StompClient beforeConnect runs within connectTimeout and its signal aborts when the attempt is given up", async () => {
  await using broker = StompTestBroker.listen();
  let signal: AbortSignal | undefined;
  await assertRejects(
    () =>
      StompClient.connectUrl(broker.url, {
        connectTimeout: 100,
        beforeConnect: (attempt) => {
          signal = attempt.signal;
          return new Promise(() => {}); // a token service that never answers
        },
      }),
    StompConnectionError,
    "Cannot connect: beforeConnect did not settle within 100 ms (connectTimeout)",
  );
  assertEquals(signal?.aborted, true);
});

Deno.test("StompClient.connect hands each attempt to the transport function", async () => {
  await using broker = StompTestBroker.listen();
  const attempts: ConnectAttempt[] = [];
  await using client = await StompClient.connect(
    async (attempt) => {
      attempts.push(attempt);
      return fromConn(
        await Deno.connect({ hostname: "127.0.0.1", port: broker.port }),
      );
    },
    {
      reconnect: FAST,
      beforeConnect: ({ number }) =>
        number === 2 ? { url: "custom://standby" } : undefined,
    },
  );
  assertEquals(client.url, undefined);
  broker.dropConnections();
  await eventually(
    () => attempts.length === 2 && client.state === "connected",
    5000,
  );
  assertEquals(attempts.map((a) => [a.number, a.reconnecting]), [
    [1, false],
    [2, true],
  ]);
  assertEquals(attempts[0]!.url, undefined);
  // A transport function takes any URL the hook names.
  assertEquals(attempts[1]!.url?.href, "custom://standby");
  assertEquals(client.url?.href, "custom://standby");
  assertInstanceOf(attempts[1]!.signal, AbortSignal);
});

Deno.test("StompClient.connectUrl fails over to the next broker of its list and says which one it is on", async () => {
  await using first = StompTestBroker.listen();
  await using second = StompTestBroker.listen();
  const states: string[] = [];
  await using client = await StompClient.connectUrl([first.url, second.url], {
    reconnect: FAST,
    onStateChange: ({ state, url }) => states.push(`${state} ${url?.port}`),
  });
  assertEquals(client.url?.port, String(first.port));
  await first.close();
  await eventually(
    () =>
      client.state === "connected" && client.url?.port === String(second.port),
    5000,
  );
  await client.send("/queue/f", "after failover", { receipt: true });
  assertEquals(second.depth("/queue/f"), 1);
  assertEquals(states, [
    `connected ${first.port}`,
    `reconnecting ${first.port}`,
    `connected ${second.port}`,
  ]);
});

Deno.test("StompClient.connectUrl rotates through its list on every attempt, also for the first connection", async () => {
  // Two ports with nothing listening, then a broker.
  const dead = [0, 0].map(() => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    return `tcp://127.0.0.1:${port}`;
  });
  await using broker = StompTestBroker.listen();
  const tried: string[] = [];
  await using client = await StompClient.connectUrl(
    [dead[0]!, dead[1]!, broker.url],
    {
      reconnect: FAST,
      beforeConnect: ({ url }) => void tried.push(url!.href),
    },
  );
  assertEquals(tried, [dead[0], dead[1], broker.url]);
  assertEquals(client.url?.href, broker.url);
  // The next attempt after a loss goes to the next in turn: the first again.
  broker.dropConnections();
  await eventually(
    () => tried.length >= 5 && client.state === "connected",
    5000,
  );
  assertEquals(tried.slice(3, 6), [dead[0], dead[1], broker.url]);
});

Deno.test("StompClient.connectUrl takes each broker's credentials from its own URL", async () => {
  await using first = StompTestBroker.listen({ login: "a", passcode: "pa" });
  await using second = StompTestBroker.listen({ login: "b", passcode: "pb" });
  await using client = await StompClient.connectUrl([
    `tcp://a:pa@127.0.0.1:${first.port}`,
    `tcp://b:pb@127.0.0.1:${second.port}`,
  ], { reconnect: FAST });
  await first.close();
  await eventually(
    () =>
      client.state === "connected" && client.url?.port === String(second.port),
    5000,
  );
  assertEquals(client.url?.username, "");
});

Deno.test("StompClient.connectUrl refuses a broker list it cannot use, at the call", async () => {
  await assertRejects(
    () => StompClient.connectUrl(["tcp://127.0.0.1:1", "tcp://127.0.0.1:2"]),
    TypeError,
    "Cannot connect: a list of 2 brokers needs the reconnect option to fail over (reconnect: true)",
  );
  await assertRejects(
    () => StompClient.connectUrl([], { reconnect: true }),
    TypeError,
    "Cannot connect: the list of broker URLs is empty",
  );
  await assertRejects(
    () =>
      StompClient.connectUrl(["tcp://127.0.0.1:1", "http://127.0.0.1:2"], {
        reconnect: true,
      }),
    TypeError,
    'Cannot connect: unknown scheme "http:" in "http://127.0.0.1:2"',
  );
  await assertRejects(
    () =>
      StompClient.connectUrl(
        "failover:(tcp://127.0.0.1:1,tcp://127.0.0.1:2)?maxReconnectAttempts=3",
        { reconnect: true },
      ),
    TypeError,
    'Cannot connect: failover option "maxReconnectAttempts=3" in "failover:(tcp://127.0.0.1:1,tcp://127.0.0.1:2)?maxReconnectAttempts=3" is not supported (only randomize=true|false; retries and delays are the client\'s reconnect options)',
  );
});

Deno.test("StompClient.connectUrl accepts ActiveMQ failover URLs", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(
    `failover:(${broker.url},tcp://127.0.0.1:1)?randomize=false`,
    { reconnect: FAST },
  );
  assertEquals(client.url?.port, String(broker.port));
});

Deno.test("parseBrokerUrls reads failover lists, shuffled unless randomize=false", () => {
  const ports = (text: string, random?: () => number) =>
    parseBrokerUrls(text, random).map((b) => b.url.port);
  assertEquals(
    ports("failover:(tcp://h:1,tcp://h:2,tcp://h:3)?randomize=false"),
    ["1", "2", "3"],
  );
  assertEquals(ports("failover:tcp://h:1,tcp://h:2?randomize=false"), [
    "1",
    "2",
  ]);
  // Fisher-Yates with random() = 0 moves each element to the front in turn.
  assertEquals(ports("failover:(tcp://h:1,tcp://h:2,tcp://h:3)", () => 0), [
    "2",
    "3",
    "1",
  ]);
  const [broker] = parseBrokerUrls("failover:(tcp://u%40x:p%3A@h:1)");
  assertEquals([broker!.login, broker!.passcode, broker!.url.href], [
    "u@x",
    "p:",
    "tcp://h:1",
  ]);
  assertThrows(
    () => parseBrokerUrls("failover:()"),
    TypeError,
    'Cannot connect: invalid failover URL "failover:()" (expected "failover:(tcp://a:61613,tcp://b:61613)")',
  );
  assertThrows(
    () => parseBrokerUrls("failover:(127.0.0.1:61613)"),
    TypeError,
    'to connect over TCP, write "tcp://127.0.0.1:61613"',
  );
});

Deno.test("StompClient beforeConnect with a refused login rejects connect() with the server's error when not reconnecting", async () => {
  await using broker = StompTestBroker.listen({ login: "a", passcode: "ok" });
  await assertRejects(
    () =>
      StompClient.connectUrl(broker.url, {
        beforeConnect: () => ({ login: "a", passcode: "wrong" }),
      }),
    StompServerError,
  );
});

Deno.test("StompClient.connectUrl rejects a transport option the transport refuses at once, even with reconnect", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  const failed: Error[] = [];
  const started = performance.now();
  await assertRejects(
    () =>
      StompClient.connectUrl(broker.webSocketUrl!, {
        reconnect: { onFailedAttempt: (error) => failed.push(error) },
        transport: { maxMessageBytes: 0 },
      }),
    RangeError,
    "maxMessageBytes must be a positive integer, got 0",
  );
  assertEquals(failed, [], "not retried");
  assert(performance.now() - started < 400, "no backoff");
  assertEquals(broker.connections, 0);
});
