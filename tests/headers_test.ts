import { assertEquals, assertThrows } from "@std/assert";
import {
  send,
  StompDecoder,
  StompFrame,
  StompHeaders,
  type StompHeadersInit,
} from "../mod.ts";

Deno.test("StompHeaders keeps order and repeats from pairs, records and copies", () => {
  const pairs = new StompHeaders([["a", "1"], ["b", "2"], ["a", "3"]]);
  assertEquals([...pairs], [["a", "1"], ["b", "2"], ["a", "3"]]);
  assertEquals(pairs.size, 3);
  assertEquals([...new StompHeaders({ z: "1", y: "2" })], [["z", "1"], [
    "y",
    "2",
  ]]);
  const copy = new StompHeaders(pairs);
  copy.append("c", "4");
  assertEquals(pairs.size, 3);
  assertEquals(copy.size, 4);
});

Deno.test("StompHeaders get returns the first value, getAll every one", () => {
  const headers = new StompHeaders([["a", "1"], ["A", "x"], ["a", "3"]]);
  assertEquals(headers.get("a"), "1");
  assertEquals(headers.get("A"), "x");
  assertEquals(headers.getAll("a"), ["1", "3"]);
  assertEquals(headers.get("missing"), undefined);
  assertEquals(headers.getAll("missing"), []);
  assertEquals(headers.has("a"), true);
  assertEquals(headers.has("b"), false);
});

Deno.test("StompHeaders set replaces every repeat at the first position, delete removes all", () => {
  const headers = new StompHeaders([["a", "1"], ["b", "2"], ["a", "3"], [
    "a",
    "4",
  ]]);
  headers.set("a", "9");
  assertEquals([...headers], [["a", "9"], ["b", "2"]]);
  headers.set("c", "5");
  assertEquals([...headers], [["a", "9"], ["b", "2"], ["c", "5"]]);
  headers.append("b", "6");
  headers.delete("b");
  assertEquals([...headers], [["a", "9"], ["c", "5"]]);
  const seen: string[] = [];
  headers.forEach((value, name) => seen.push(`${name}=${value}`));
  assertEquals(seen, ["a=9", "c=5"]);
});

Deno.test("StompHeaders treats prototype names as ordinary names", () => {
  const headers = new StompHeaders([["__proto__", "p"], ["constructor", "c"], [
    "toString",
    "t",
  ]]);
  assertEquals(headers.get("__proto__"), "p");
  assertEquals(headers.get("hasOwnProperty"), undefined);
  const record = headers.toObject();
  assertEquals(Object.getPrototypeOf(record), null);
  assertEquals(Object.keys(record), ["__proto__", "constructor", "toString"]);
  assertEquals(new StompHeaders().get("constructor"), undefined);
});

Deno.test("StompHeaders toObject keeps the first value of each name", () => {
  assertEquals(
    { ...new StompHeaders([["a", "1"], ["a", "2"]]).toObject() },
    { a: "1" },
  );
});

Deno.test("StompHeaders refuses values that are not strings", () => {
  assertThrows(
    () => new StompHeaders([["a", 1 as unknown as string]]),
    TypeError,
    "expected [name, value] string pairs",
  );
  assertThrows(
    () => new StompHeaders({ a: null as unknown as string }),
    TypeError,
  );
  assertThrows(
    () => new StompHeaders([["a", undefined as unknown as string]]),
    TypeError,
  );
});

Deno.test("StompFrame stores text as UTF-8 and refuses unknown commands", () => {
  const frame = new StompFrame("SEND", undefined, "✓");
  assertEquals(frame.body, new Uint8Array([0xe2, 0x9c, 0x93]));
  assertEquals(frame.text, "✓");
  assertEquals(frame.headers.size, 0);
  assertEquals(new StompFrame("ACK").body.length, 0);
  assertThrows(
    () => new StompFrame("PUBLISH" as "SEND"),
    TypeError,
    'unknown command "PUBLISH"',
  );
});

Deno.test("StompHeaders from the decoder behave like constructed ones", () => {
  const input = new TextEncoder().encode(
    "MESSAGE\na:1\nb:two:2\na:3\nempty:\n\n\0MESSAGE\nk:\\cx\n\n\0",
  );
  for (const chunk of [input.length, 5]) {
    const decoder = new StompDecoder();
    const frames = [];
    for (let at = 0; at < input.length; at += chunk) {
      frames.push(...decoder.push(input.subarray(at, at + chunk)));
    }
    const headers = frames[0]!.headers;
    assertEquals(headers.size, 4);
    assertEquals(headers.get("b"), "two:2");
    assertEquals(headers.get("empty"), "");
    assertEquals(headers.getAll("a"), ["1", "3"]);
    assertEquals(headers.has("a"), true);
    assertEquals({ ...headers.toObject() }, { a: "1", b: "two:2", empty: "" });
    const seen: string[] = [];
    headers.forEach((value, name) => seen.push(`${name}=${value}`));
    assertEquals(seen, ["a=1", "b=two:2", "a=3", "empty="]);
    headers.append("c", "4");
    headers.set("a", "9");
    headers.delete("empty");
    assertEquals([...headers], [["a", "9"], ["b", "two:2"], ["c", "4"]]);
    assertEquals(headers.get("a"), "9");
    assertEquals(headers.size, 3);
    const copy = new StompHeaders(frames[1]!.headers);
    assertEquals([...copy], [["k", ":x"]]);
  }
});

Deno.test("StompHeadersInit takes records whose values may be undefined, and leaves those out", () => {
  const persistent = Math.random() < 2; // true, but not to the type checker
  const contentType: string | undefined = undefined;
  // Two different literal shapes behind a conditional, and an optional value.
  const init: StompHeadersInit = persistent
    ? { persistent: "true", "x-a": "1" }
    : { priority: "9" };
  assertEquals([...new StompHeaders(init)], [["persistent", "true"], [
    "x-a",
    "1",
  ]]);
  assertEquals(
    [...new StompHeaders({ "content-type": contentType, "x-b": "2" })],
    [["x-b", "2"]],
  );
  assertEquals(
    send("/queue/a", "x", { headers: persistent ? { a: "1" } : { b: "2" } })
      .headers.get("a"),
    "1",
  );
});
