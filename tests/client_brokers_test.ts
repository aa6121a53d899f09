// The brokers of a client (src/client/_brokers.ts): each attempt to the next
// broker of the list, credentials from the URL unless the options or the
// beforeConnect hook give them, and the hook's own URL.

import { assertEquals, assertRejects } from "@std/assert";
import { StompConnectionError } from "@stomper/stomp/client";
import type { StompTransport } from "@stomper/stomp/transports";
import { Brokers, isArgumentError, urlSource } from "../src/client/_brokers.ts";
import { parseBrokerUrls } from "../src/client/_urls.ts";

/** A transport source that records what it was asked to open. */
function recording(opened: string[]) {
  return (attempt: { url?: URL | undefined }) => {
    opened.push(String(attempt.url));
    const { readable, writable } = new TransformStream<
      Uint8Array,
      Uint8Array
    >();
    return { readable, writable, close() {} } as StompTransport;
  };
}

const signal = new AbortController().signal;

Deno.test("Brokers goes round the list, one broker per attempt", async () => {
  const opened: string[] = [];
  const brokers = new Brokers(
    {
      source: recording(opened),
      beforeConnect: undefined,
      credentials: { login: false, passcode: false },
    },
    parseBrokerUrls(["tcp://a:1", "tcp://b:2"]),
  );
  for (let number = 1; number <= 3; number++) {
    await brokers.attempt(number, number > 1).open(signal);
  }
  assertEquals(opened, ["tcp://a:1", "tcp://b:2", "tcp://a:1"]);
  assertEquals(String(brokers.url), "tcp://a:1");
});

Deno.test("Brokers takes a URL's credentials unless the options gave them", () => {
  const list = parseBrokerUrls("tcp://user:pw@a:1");
  const fromUrl = new Brokers({
    source: recording([]),
    beforeConnect: undefined,
    credentials: { login: false, passcode: false },
  }, list);
  assertEquals(fromUrl.attempt(1, false).overrides(), {
    login: "user",
    passcode: "pw",
    host: undefined,
    headers: undefined,
  });
  const fromOptions = new Brokers({
    source: recording([]),
    beforeConnect: undefined,
    credentials: { login: true, passcode: true },
  }, list);
  assertEquals(fromOptions.attempt(1, false).overrides().login, undefined);
});

Deno.test("Brokers lets beforeConnect pick the URL and credentials, and never reports a secret", async () => {
  const opened: string[] = [];
  const seen: unknown[] = [];
  const brokers = new Brokers({
    source: recording(opened),
    beforeConnect: ({ number, reconnecting, url }) => {
      seen.push([number, reconnecting, String(url)]);
      return { url: "tcp://app:s3cret@c:3", login: "hook" };
    },
    credentials: { login: false, passcode: false },
  }, parseBrokerUrls("tcp://a:1"));
  const attempt = brokers.attempt(4, true);
  await attempt.open(signal);
  assertEquals(seen, [[4, true, "tcp://a:1"]]);
  assertEquals(opened, ["tcp://c:3"]);
  assertEquals(String(brokers.url), "tcp://c:3");
  assertEquals(attempt.overrides().login, "hook");
  assertEquals(attempt.overrides().passcode, "s3cret");
});

Deno.test("Brokers turns a failing beforeConnect into a StompConnectionError", async () => {
  const brokers = new Brokers({
    source: recording([]),
    beforeConnect: () => {
      throw new Error("vault down at https://u:pw@vault");
    },
    credentials: { login: false, passcode: false },
  }, undefined);
  const error = await assertRejects(
    () => brokers.attempt(1, false).open(signal),
    StompConnectionError,
  );
  assertEquals(error.message.includes("pw"), false);
  assertEquals(
    error.message.startsWith("Cannot connect: beforeConnect failed"),
    true,
  );
});

Deno.test("urlSource marks a transport option's TypeError as never to be retried", async () => {
  const open = urlSource({ maxMessageBytes: -1 } as never);
  const error = await open({
    number: 1,
    reconnecting: false,
    url: new URL("ws://127.0.0.1:1/ws"),
    signal,
  }).catch((e) => e);
  assertEquals(isArgumentError(error), true);
  assertEquals(isArgumentError(new TypeError("other")), false);
});
