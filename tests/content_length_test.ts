// The contentLength send option and the textContentLength client default:
// a text SEND without content-length (a JMS TextMessage on ActiveMQ and
// Artemis), on every path a SEND takes through the client, checked on what
// the in-process test broker received over a real socket.

import { assert, assertEquals, assertRejects } from "@std/assert";
import type { StompFrame } from "@stomper/stomp";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { eventually } from "./_helpers.ts";

const QUIET = { heartBeat: [0, 0] as [number, number] };

/** A broker that keeps every SEND it receives. */
function listen(): { broker: StompTestBroker; sends: StompFrame[] } {
  const sends: StompFrame[] = [];
  const broker = StompTestBroker.listen({
    onFrame: (frame) => {
      if (frame.command === "SEND") sends.push(frame);
    },
  });
  return { broker, sends };
}

const lengths = (sends: StompFrame[]) =>
  sends.map((f) => [f.text, f.headers.get("content-length") ?? null]);

Deno.test("StompClient.send() with contentLength: false leaves content-length out on every path, and keeps it for bytes", async () => {
  const { broker, sends } = listen();
  await using _ = broker;
  // Issued before CONNECTED: queued, encoded at its turn.
  const connecting = StompClient.connectUrl(broker.url, QUIET);
  await using client = await connecting;
  const off = { contentLength: false } as const;
  await client.send("/queue/a", "fast", off); // encoded at the call
  await client.send("/queue/a", "receipt", { ...off, receipt: true });
  // A header that needs escaping takes the general encoder.
  await client.send("/queue/a", "escaped", { ...off, headers: { "a:b": "c" } });
  await client.send("/queue/a", "héllo ✓", off); // non-ASCII text
  await client.send("/queue/a", new TextEncoder().encode("bytes"), off);
  await client.send("/queue/a", "default", { receipt: true });
  await eventually(() => sends.length === 6);
  assertEquals(lengths(sends), [
    ["fast", null],
    ["receipt", null],
    ["escaped", null],
    ["héllo ✓", null],
    ["bytes", "5"],
    ["default", "7"],
  ]);
});

Deno.test("StompClient with textContentLength: false sends text without content-length, also when waiting and in transactions", async () => {
  const { broker, sends } = listen();
  await using _ = broker;
  await using client = await StompClient.connectUrl(broker.url, {
    ...QUIET,
    textContentLength: false,
    sendBufferSize: 1, // every send after the first waits for its write
  });
  const burst = ["one", "two", "three"].map((t) => client.send("/queue/b", t));
  await Promise.all(burst);
  const transaction = await client.begin();
  await transaction.send("/queue/b", "in transaction");
  await transaction.commit({ receipt: true });
  await client.send("/queue/b", "with length", { contentLength: true });
  await client.send("/queue/b", "", { receipt: true }); // no body, no header
  await eventually(() => sends.length === 6);
  assertEquals(lengths(sends), [
    ["one", null],
    ["two", null],
    ["three", null],
    ["in transaction", null],
    ["with length", "11"],
    ["", null],
  ]);
});

Deno.test("StompClient.send() without content-length refuses a text holding NUL with a TypeError, sending nothing", async () => {
  const { broker, sends } = listen();
  await using _ = broker;
  const errors: Error[] = [];
  await using client = await StompClient.connectUrl(broker.url, {
    ...QUIET,
    onError: (error) => errors.push(error),
  });
  const message =
    'Cannot send to "/queue/c": the text holds a NUL character at index 2, which a SEND without content-length (contentLength: false) cannot carry; send it with content-length, or as bytes';
  await assertRejects(
    () => client.send("/queue/c", "ab\0cd", { contentLength: false }),
    TypeError,
    message,
  );
  await assertRejects(
    () => client.request("/queue/c", "ab\0cd", { contentLength: false }),
    TypeError,
    message,
  );
  const transaction = await client.begin();
  await assertRejects(
    () => transaction.send("/queue/c", "ab\0cd", { contentLength: false }),
    TypeError,
    message,
  );
  await transaction.abort();
  await client.send("/queue/c", "ab\0cd", { receipt: true }); // with a length
  assertEquals(lengths(sends), [["ab\0cd", "5"]]);
  assert(errors.length === 3 && errors.every((e) => e instanceof TypeError));
});
