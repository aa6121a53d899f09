// The header block parser (src/_head.ts) on its own: where a block ends, when
// it is still open, and the first error of a malformed one. The decoder's
// tests (tests/decoder_test.ts) run it through every split of the stream.

import { assertEquals, assertInstanceOf } from "@std/assert";
import { HEAD_INVALID, HEAD_OPEN, HeadParser } from "../src/_head.ts";
import { StompSyntaxError } from "../src/errors.ts";

const LIMITS = {
  maxLine: 1024,
  maxHead: 4096,
  maxHeaders: 16,
  maxBody: 1 << 20,
};
const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("HeadParser returns the index after the blank line, with command, headers and length", () => {
  const parser = new HeadParser(LIMITS);
  const text = "xxSEND\ndestination:/queue/a\ncontent-length:5\n\nhello\0";
  const end = parser.parse(bytes(text), 2, 100, "1.2");
  assertEquals(end, text.indexOf("hello"));
  assertEquals(parser.command, "SEND");
  assertEquals(parser.headers?.get("destination"), "/queue/a");
  assertEquals(parser.length, 5);
});

Deno.test("HeadParser reads CR LF lines, escapes and UTF-8, and -1 without content-length", () => {
  const parser = new HeadParser(LIMITS);
  const input = bytes("MESSAGE\r\nk\\c1:v\\nw\r\nnamé:välue\r\n\r\n");
  assertEquals(parser.parse(input, 0, 0, "1.2"), input.length);
  assertEquals(parser.command, "MESSAGE");
  assertEquals(parser.headers?.get("k:1"), "v\nw");
  assertEquals(parser.headers?.get("namé"), "välue");
  assertEquals(parser.length, -1);
});

Deno.test("HeadParser says a block without its blank line, or past the limits, is open", () => {
  const parser = new HeadParser(LIMITS);
  assertEquals(
    parser.parse(bytes("SEND\ndestination:/q\n"), 0, 0, "1.2"),
    HEAD_OPEN,
  );
  const small = new HeadParser({ ...LIMITS, maxHead: 8 });
  assertEquals(
    small.parse(bytes("SEND\nabcdefgh:1\n\n"), 0, 0, "1.2"),
    HEAD_OPEN,
  );
});

Deno.test("HeadParser reports an unknown command and a bad escape with their offsets", () => {
  const parser = new HeadParser(LIMITS);
  assertEquals(parser.parse(bytes("FOO\n\n"), 0, 7, "1.2"), HEAD_INVALID);
  assertInstanceOf(parser.error, StompSyntaxError);
  assertEquals(parser.error.offset >= 7, true);
  assertEquals(
    parser.parse(bytes("SEND\nk:\\t\n\n"), 0, 0, "1.2"),
    HEAD_INVALID,
  );
  assertInstanceOf(parser.error, StompSyntaxError);
  // Under 1.0 there is no escaping: the same bytes are a plain value.
  assertEquals(parser.parse(bytes("SEND\nk:\\t\n\n"), 0, 0, "1.0"), 11);
  assertEquals(parser.headers?.get("k"), "\\t");
});
