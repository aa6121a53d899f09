// Options from JavaScript with a misspelt name (src/_keys.ts and its
// callers): refused with a TypeError naming the key and the closest known
// one, instead of silently ignored. The in-process test broker and real
// sockets.

import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { type ConnectUrlOptions, StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { closestName, refuseUnknownKeys } from "../src/_keys.ts";

Deno.test("closestName finds a slip of case, of a few letters, or the one name containing it", () => {
  const known = ["reconnect", "heartBeat", "connectTimeout", "receiptTimeout"];
  assertEquals(closestName("reconect", known), "reconnect");
  assertEquals(closestName("heartbeat", known), "heartBeat");
  assertEquals(closestName("HeartBeats", known), "heartBeat");
  assertEquals(closestName("receipt", known), "receiptTimeout");
  assertEquals(closestName("timeout", known), undefined, "two contain it");
  assertEquals(closestName("xyz", known), undefined);
});

Deno.test("refuseUnknownKeys takes known keys and undefined values, and refuses the rest", () => {
  refuseUnknownKeys("unknown", { a: 1, typo: undefined }, ["a"]);
  assertThrows(
    () => refuseUnknownKeys("Cannot x: unknown option", { retry: 1 }, ["b"]),
    TypeError,
    'Cannot x: unknown option "retry"',
  );
  assertThrows(
    () =>
      refuseUnknownKeys("unknown", { maxAttempts: 1 }, ["retries"], {
        maxattempts: "retries",
      }),
    TypeError,
    'unknown "maxAttempts" (did you mean "retries"?)',
  );
});

Deno.test("StompClient.connectUrl refuses an unknown reconnect option at the call, naming the closest", async () => {
  for (
    const [reconnect, message] of [
      [{ maxAttempts: 2 }, '"maxAttempts" (did you mean "retries"?)'],
      [{ initialdelay: 10 }, '"initialdelay" (did you mean "initialDelay"?)'],
      [{ delay: 10 }, '"delay" (did you mean "initialDelay"?)'],
    ] as const
  ) {
    const error = await assertRejects(
      // deno-lint-ignore no-explicit-any
      () => StompClient.connectUrl("tcp://127.0.0.1:1", { reconnect } as any),
      TypeError,
    );
    assertEquals(
      error.message,
      `Cannot create client: unknown reconnect option ${message}`,
    );
  }
  await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => StompClient.connectUrl("tcp://127.0.0.1:1", { reconnect: 3 } as any),
    TypeError,
    "Cannot create client: reconnect must be true, false or an object of options, got a number",
  );
});

Deno.test("StompClient.connectUrl refuses an unknown decodeLimits option at the call, naming the closest", async () => {
  // Before, the slip reached the decoder only when connecting, as a
  // StompConnectionError of every attempt.
  const error = await assertRejects(
    () =>
      StompClient.connectUrl("tcp://127.0.0.1:1", {
        // deno-lint-ignore no-explicit-any
        decodeLimits: { maxBodyByte: 10 } as any,
      }),
    TypeError,
  );
  assertEquals(
    error.message,
    'Cannot create client: unknown decodeLimits option "maxBodyByte" (did you mean "maxBodyBytes"?)',
  );
});

Deno.test("StompClient.connect and connectUrl refuse an unknown client option, naming the closest", async () => {
  await using broker = StompTestBroker.listen();
  for (
    const [options, message] of [
      [{ reconect: true }, '"reconect" (did you mean "reconnect"?)'],
      [{ heartbeat: [0, 0] }, '"heartbeat" (did you mean "heartBeat"?)'],
      [{ password: "pw" }, '"password" (did you mean "passcode"?)'],
      [{ connectHeaders: {} }, '"connectHeaders" (did you mean "headers"?)'],
      [{ brokerURL: "ws://a" }, '"brokerURL"'],
    ] as const
  ) {
    const error = await assertRejects(
      // deno-lint-ignore no-explicit-any
      () => StompClient.connectUrl(broker.url, options as any),
      TypeError,
    );
    assertEquals(
      error.message,
      `Cannot create client: unknown option ${message}`,
    );
  }
  await assertRejects(
    () =>
      StompClient.connect(
        () => Promise.reject(new Error("not opened")),
        // deno-lint-ignore no-explicit-any
        { transport: {} } as any,
      ),
    TypeError,
    'unknown option "transport"',
  );
  assertEquals(broker.connections, 0, "nothing was opened");
});

Deno.test("StompClient.connectUrl takes every documented option", async () => {
  await using broker = StompTestBroker.listen({ login: "a", passcode: "b" });
  // Required<>: a new option not listed here fails the type check.
  const options: Required<ConnectUrlOptions> = {
    host: "/",
    login: "a",
    passcode: "b",
    acceptVersion: ["1.2"],
    heartBeat: [0, 0],
    headers: {},
    command: "CONNECT",
    heartBeatGrace: 3,
    connectTimeout: 5000,
    disconnectTimeout: 5000,
    receiptTimeout: 5000,
    sendBufferSize: 1024 * 1024,
    unconfirmedBytes: 1024 * 1024,
    maxSendBodyBytes: 1024 * 1024,
    textContentLength: true,
    signal: new AbortController().signal,
    reconnect: {
      retries: 1,
      initialDelay: 1,
      maxDelay: 1,
      factor: 2,
      jitter: 0,
      random: Math.random,
      retryFirstConnect: false,
      stableAfter: 1,
      onFailedAttempt: () => {},
    },
    highWaterMark: 1,
    highWaterMarkBytes: 1024,
    decodeLimits: {},
    bodyChunks: false,
    timers: {
      setTimeout: (callback, delay) => setTimeout(callback, delay),
      clearTimeout: (handle) => clearTimeout(handle as number),
      now: () => performance.now(),
    },
    beforeConnect: () => {},
    onUnhandledMessage: () => {},
    replyMode: "auto",
    replyDestination: "/queue/replies",
    onStateChange: () => {},
    onError: () => {},
    trace: () => {},
    redactHeaders: [],
    transport: {},
  };
  await using client = await StompClient.connectUrl(broker.url, options);
  assertEquals(client.state, "connected");
});
