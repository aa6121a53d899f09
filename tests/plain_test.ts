// The encoder's plain fast path (src/_plain.ts), which the client uses to
// write SEND frames straight into its outgoing batches: for every frame it
// takes, the bytes must be exactly encodeFrame's, under every version.

import { assert, assertEquals } from "@std/assert";
import { encodeFrame } from "../src/encoder.ts";
import { StompFrame, type StompVersion } from "../src/frame.ts";
import { StompHeaders } from "../src/headers.ts";
import { encodePlainInto, plainFrameBound } from "../src/_plain.ts";
import { prng } from "./_helpers.ts";

const VERSIONS: StompVersion[] = ["1.0", "1.1", "1.2"];

/** Encodes at an offset into a buffer of exactly the bound, as the client does. */
function plain(
  command: string,
  list: string[],
  body: string | Uint8Array,
): Uint8Array | undefined {
  const offset = 7;
  const out = new Uint8Array(offset + plainFrameBound(command, list, body));
  const end = encodePlainInto(out, offset, command, list, body);
  return end === -1 ? undefined : out.subarray(offset, end);
}

function general(
  list: string[],
  body: string | Uint8Array,
  version: StompVersion,
): Uint8Array {
  const headers = new StompHeaders();
  for (let i = 0; i < list.length; i += 2) {
    headers.append(list[i]!, list[i + 1]!);
  }
  return encodeFrame(new StompFrame("SEND", headers, body), { version });
}

Deno.test("encodePlainInto writes encodeFrame's bytes for plain frames, text and binary, in every version", () => {
  const bodies: (string | Uint8Array)[] = [
    "",
    "hello",
    "x".repeat(1000),
    "é",
    "naïve café ✓",
    "emoji 😀 and a lone surrogate \ud800 here",
    "\ud83d",
    "😀".repeat(400), // 1600 bytes: the content-length gains a digit
    "a\0b", // NUL in a body is fine with content-length
    new Uint8Array(0),
    new Uint8Array([0, 1, 2, 0, 255]),
  ];
  const lists = [
    ["destination", "/queue/a"],
    [
      "destination",
      "/queue/a",
      "content-type",
      "text/plain",
      "persistent",
      "true",
    ],
    ["destination", "/queue/a", "content-length", "999"], // replaced by the true one
    ["destination", "/queue/a", "x", ""],
  ];
  for (const list of lists) {
    for (const body of bodies) {
      const got = plain("SEND", list, body);
      assert(got !== undefined, `plain: ${JSON.stringify(list)}`);
      for (const version of VERSIONS) {
        assertEquals(
          got,
          general(list, body, version),
          `${JSON.stringify(list)} ${version}`,
        );
      }
    }
  }
});

Deno.test("encodePlainInto leaves headers that need escaping or refusing to the general encoder", () => {
  const lists = [
    ["destination", "/queue/a:b"],
    ["destination", "/queue/a\nb"],
    ["destination", "/queue/a\rb"],
    ["destination", "/queue/a\\b"],
    ["destination", "/queue/a\0"],
    ["destination", "/queue/é"],
    ["", "value"],
    ["na:me", "value"],
  ];
  for (const list of lists) {
    assertEquals(plain("SEND", list, "x"), undefined, JSON.stringify(list));
  }
});

Deno.test("encodePlainInto matches encodeFrame on random plain frames", () => {
  const random = prng(11);
  const pick = (chars: string, max: number) =>
    Array.from(
      { length: Math.floor(random() * max) },
      () => chars[Math.floor(random() * chars.length)],
    ).join("");
  const ascii = "abcdefghijklmnopqrstuvwxyz/-_.0123456789 ";
  const text = ascii + "é✓😀\ud800\udc00\0\n:";
  for (let n = 0; n < 2000; n++) {
    const list = ["destination", "/queue/" + pick(ascii, 20) + "q"];
    for (let h = Math.floor(random() * 4); h > 0; h--) {
      list.push("h" + pick(ascii, 8), pick(ascii, 12));
    }
    const body = random() < 0.3
      ? Uint8Array.from(
        { length: Math.floor(random() * 300) },
        () => Math.floor(random() * 256),
      )
      : pick(text, random() < 0.1 ? 5000 : 200);
    const got = plain("SEND", list, body);
    assert(got !== undefined);
    assertEquals(got, general(list, body, VERSIONS[n % 3]!), `case ${n}`);
  }
});

Deno.test("encodePlainInto with a version escapes headers as encodeFrame does for it, and leaves the rest to it", () => {
  const random = prng(23);
  const chars = "abc:\\\n\r\0é/-";
  const pick = (max: number) =>
    Array.from(
      { length: Math.floor(random() * max) },
      () => chars[Math.floor(random() * chars.length)],
    ).join("");
  let escaped = 0;
  let left = 0;
  for (let n = 0; n < 3000; n++) {
    const version = VERSIONS[n % 3]!;
    const command = n % 2 === 0 ? "ACK" : "SEND";
    const list = ["id", "ID:" + pick(10)];
    for (let h = Math.floor(random() * 3); h > 0; h--) {
      list.push("h" + pick(5), pick(10));
    }
    const offset = 3;
    const out = new Uint8Array(
      offset + plainFrameBound(command, list, "", version),
    );
    const end = encodePlainInto(out, offset, command, list, "", version);
    const headers = new StompHeaders();
    for (let i = 0; i < list.length; i += 2) {
      headers.append(list[i]!, list[i + 1]!);
    }
    let expected: Uint8Array | undefined;
    try {
      expected = encodeFrame(new StompFrame(command, headers), { version });
    } catch {
      expected = undefined; // refused: the fast path must leave it too
    }
    if (end === -1) {
      left++;
      continue;
    }
    escaped++;
    assertEquals(
      out.subarray(offset, end),
      expected,
      `case ${n}: ${JSON.stringify(list)} ${version}`,
    );
  }
  // Both ways were taken: ASCII specials escaped, non-ASCII and refusals left.
  assert(escaped > 300 && left > 300, `${escaped} escaped, ${left} left`);
});
