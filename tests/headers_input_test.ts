// What StompHeaders does with values a JavaScript caller can pass where
// strings are expected: a number (`priority`, `expires`), undefined, null, a
// Symbol, or no object at all. Each is a TypeError that names the header and
// says what it got, raised where the value is given, never a frame that
// reaches the broker malformed.

import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { encodeFrame, StompClient, StompFrame, StompHeaders } from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

const NOT_STRINGS: [unknown, string][] = [
  [5, "got a number"],
  [undefined, "got undefined"],
  [null, "got null"],
  [Symbol("s"), "got a symbol"],
  [{ a: 1 }, "got an object"],
];

Deno.test("StompHeaders.set refuses a value that is not a string, naming the header", () => {
  for (const [value, detail] of NOT_STRINGS) {
    const headers = new StompHeaders({ destination: "/q" });
    assertThrows(
      () => headers.set("priority", value as string),
      TypeError,
      `Cannot set header "priority": the value must be a string, ${detail}`,
    );
    // Nothing of it was kept.
    assertEquals([...headers], [["destination", "/q"]]);
  }
});

Deno.test("StompHeaders.append refuses a name or value that is not a string", () => {
  const headers = new StompHeaders();
  assertThrows(
    () => headers.append("expires", 1_700_000_000_000 as unknown as string),
    TypeError,
    'Cannot append header "expires": the value must be a string, got a number',
  );
  assertThrows(
    () => headers.append(undefined as unknown as string, "v"),
    TypeError,
    "Cannot append header: the name must be a string, got undefined",
  );
  assertThrows(
    () => headers.set(7 as unknown as string, "v"),
    TypeError,
    "Cannot set header: the name must be a string, got a number",
  );
  assertEquals(headers.size, 0);
});

Deno.test("StompHeaders refuses an init that is not an object, saying what it got", () => {
  for (
    const [init, detail] of [
      [null, "got null"],
      [5, "got a number"],
      ["a:b", "got a string"],
      [true, "got a boolean"],
    ] as const
  ) {
    assertThrows(
      () => new StompHeaders(init as unknown as Record<string, string>),
      TypeError,
      `Cannot create headers: expected an object of strings, [name, value] pairs or StompHeaders, ${detail}`,
    );
  }
});

Deno.test("StompHeaders set with a number is refused before a SEND reaches the test broker", async () => {
  // Before, the number was encoded as an empty value into a frame whose
  // measured length was wrong: the broker never answered and the send with
  // a receipt waited for receiptTimeout.
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, {
    receiptTimeout: 2_000,
  });
  const headers = new StompHeaders();
  assertThrows(
    () => headers.set("priority", 5 as unknown as string),
    TypeError,
    'Cannot set header "priority"',
  );
  headers.set("priority", "5");
  await client.send("/queue/h", "body", { headers, receipt: true });
  assertEquals(broker.depth("/queue/h"), 1);
  // send() given null headers says what it got.
  await assertRejects(
    () =>
      client.send("/queue/h", "body", {
        headers: null as unknown as Record<string, string>,
      }),
    TypeError,
    "Cannot create headers: expected an object of strings, [name, value] pairs or StompHeaders, got null",
  );
});

Deno.test("StompHeaders with only strings still encode as before", () => {
  const headers = new StompHeaders([["destination", "/q"]]);
  headers.append("a", "1");
  headers.set("b", "2");
  const bytes = encodeFrame(new StompFrame("SEND", headers, "x"));
  assertEquals(
    new TextDecoder().decode(bytes),
    "SEND\ndestination:/q\na:1\nb:2\ncontent-length:1\n\nx\0",
  );
});

Deno.test("StompHeaders refusing a passcode given as a number does not show it", async () => {
  // A numeric PIN read from JSON: before, it went out as an empty passcode
  // and the broker's refusal said nothing of why.
  await using broker = StompTestBroker.listen({
    login: "app",
    passcode: "90210",
  });
  const error = await assertRejects(
    () =>
      StompClient.connectUrl(broker.url, {
        login: "app",
        passcode: 90210 as unknown as string,
      }),
    TypeError,
    'Cannot append header "passcode": the value must be a string, got a number',
  );
  assertEquals(error.message.includes("90210"), false);
});
