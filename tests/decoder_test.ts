// Conformance of the decoder with the STOMP 1.2 specification (and the 1.0 /
// 1.1 differences). Every case goes through decodeAllWays: whole input, byte
// by byte and random splits must agree.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  decodeFrame,
  type DecodeOptions,
  DEFAULT_DECODE_LIMITS,
  encodeFrame,
  send,
  StompDecoder,
  StompDecoderStream,
  StompSyntaxError,
} from "../mod.ts";
import { bytes, decodeAllWays, decodeChunks } from "./_decode.ts";

function frame(command: string, headers: [string, string][], body = "") {
  return { command, headers, body: bytes(body) };
}

Deno.test("StompDecoder reads command, headers and a body ended by NUL", () => {
  const out = decodeAllWays("SEND\ndestination:/queue/a\nfoo:bar\n\nhello\0");
  assertEquals(out.frames, [
    frame("SEND", [["destination", "/queue/a"], ["foo", "bar"]], "hello"),
  ]);
  assertEquals(out.thrown, undefined);
});

Deno.test("StompDecoder reads frames with no headers and no body", () => {
  const out = decodeAllWays("DISCONNECT\n\n\0COMMIT\n\n\0");
  assertEquals(out.frames, [frame("DISCONNECT", []), frame("COMMIT", [])]);
});

Deno.test("StompDecoder reads all 15 commands and refuses others", () => {
  const commands = [
    "CONNECT",
    "STOMP",
    "SEND",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "ACK",
    "NACK",
    "BEGIN",
    "COMMIT",
    "ABORT",
    "DISCONNECT",
    "CONNECTED",
    "MESSAGE",
    "RECEIPT",
    "ERROR",
  ];
  const out = decodeAllWays(commands.map((c) => `${c}\n\n\0`).join(""));
  assertEquals(out.frames.map((f) => f.command), commands);
  for (const bad of ["send", "Send", "HELLO", "SEND ", " SEND"]) {
    const error = decodeAllWays(`${bad}\n\n\0`).thrown;
    assertEquals(error?.name, "StompSyntaxError");
    assertEquals(
      error?.message,
      `Unknown command ${JSON.stringify(bad)} at byte 0`,
    );
  }
});

Deno.test("StompDecoder reads a content-length body that holds NULs", () => {
  const body = new Uint8Array([0, 1, 0, 255, 0, 0x0a, 0]);
  const head = bytes("MESSAGE\ncontent-length:7\n\n");
  const input = new Uint8Array([...head, ...body, 0, ...bytes("\n")]);
  const out = decodeAllWays(input);
  assertEquals(out.frames, [{
    command: "MESSAGE",
    headers: [["content-length", "7"]],
    body,
  }]);
  assertEquals(out.heartbeats, 1);
});

Deno.test("StompDecoder counts content-length in octets, not characters", () => {
  // 6 characters, 9 octets.
  const out = decodeAllWays("SEND\ncontent-length:9\n\nnaïve✓\0");
  assertEquals(out.frames[0]?.body, bytes("naïve✓"));
  const short = decodeAllWays("SEND\ncontent-length:6\n\nnaïve✓\0");
  assertEquals(short.thrown?.name, "StompSyntaxError");
});

Deno.test("StompDecoder reads content-length 0 and takes the first of repeats", () => {
  const out = decodeAllWays(
    "SEND\ncontent-length:0\n\n\0SEND\ncontent-length:2\ncontent-length:5\n\nab\0",
  );
  assertEquals(out.frames.map((f) => f.body.length), [0, 2]);
});

Deno.test("StompDecoder keeps a body that looks like a frame when content-length covers it", () => {
  // stomper's "confusing message": a fake frame, NULs and a fake
  // content-length inside a body.
  const body =
    "SUBSCRIBE\ncontent-length:27\n\0\ndestination:/queue/confusion\n\n\0\n";
  const out = decodeAllWays(
    `SEND\ndestination:/queue/a\ncontent-length:${
      bytes(body).length
    }\n\n${body}\0`,
  );
  assertEquals(out.frames.length, 1);
  assertEquals(out.frames[0]?.body, bytes(body));
  assertEquals(out.frames[0]?.headers, [
    ["destination", "/queue/a"],
    ["content-length", String(bytes(body).length)],
  ]);
});

Deno.test("StompDecoder treats EOLs between frames as heart-beats", () => {
  const out = decodeAllWays(
    "\n\r\n\nRECEIPT\nreceipt-id:1\n\n\0\n\r\nRECEIPT\nreceipt-id:2\n\n\0\r\n\n",
  );
  assertEquals(out.frames.length, 2);
  assertEquals(out.heartbeats, 7);
  assertEquals(out.order, "HHHFHHFHH");
});

Deno.test("StompDecoder accepts CR LF line ends and keeps other CRs as data", () => {
  const out = decodeAllWays(
    "MESSAGE\r\ndestination:/q\r\nodd:a\rb\r\nend:x\r\r\n\r\nbo\rdy\r\n\0",
  );
  assertEquals(out.frames, [
    frame(
      "MESSAGE",
      [["destination", "/q"], ["odd", "a\rb"], ["end", "x\r"]],
      "bo\rdy\r\n",
    ),
  ]);
});

Deno.test("StompDecoder refuses a CR that starts a frame without an LF", () => {
  const out = decodeAllWays("\rSEND\n\n\0");
  assertEquals(out.thrown?.message, 'Unknown command "\\rSEND" at byte 0');
});

Deno.test("StompDecoder keeps header order and repeats, first wins", () => {
  const out = decodeAllWays("MESSAGE\nfoo:1\nbar:2\nfoo:3\n\n\0");
  assertEquals(out.frames[0]?.headers, [["foo", "1"], ["bar", "2"], [
    "foo",
    "3",
  ]]);
  const decoded = decodeFrame(bytes("MESSAGE\nfoo:1\nbar:2\nfoo:3\n\n\0"));
  assertEquals(decoded.headers.get("foo"), "1");
  assertEquals(decoded.headers.getAll("foo"), ["1", "3"]);
});

Deno.test("StompDecoder never trims names or values and splits at the first colon", () => {
  const out = decodeAllWays(
    "MESSAGE\n key : value \nurl:http\\c//x\nempty:\n\n\0",
    {
      version: "1.2",
    },
  );
  assertEquals(out.frames[0]?.headers, [
    [" key ", " value "],
    ["url", "http://x"],
    ["empty", ""],
  ]);
  const raw = decodeAllWays("MESSAGE\ntime:12:30:00\n\n\0", { version: "1.0" });
  assertEquals(raw.frames[0]?.headers, [["time", "12:30:00"]]);
});

Deno.test("StompDecoder treats __proto__ and constructor as ordinary names", () => {
  const out = decodeFrame(bytes("MESSAGE\n__proto__:x\nconstructor:y\n\n\0"));
  assertEquals(out.headers.get("__proto__"), "x");
  assertEquals(out.headers.get("constructor"), "y");
  const record = out.headers.toObject();
  assertEquals(Object.getPrototypeOf(record), null);
  assertEquals(record["__proto__"], "x");
  assertEquals(({} as Record<string, unknown>).x, undefined);
});

Deno.test("StompDecoder unescapes 1.2 headers in one pass", () => {
  // On the wire: a\\nb  (escaped backslash, then a literal n) and \r\n\c\\.
  const out = decodeAllWays("MESSAGE\nk\\cey:a\\\\nb\nall:\\r\\n\\c\\\\\n\n\0");
  assertEquals(out.frames[0]?.headers, [["k:ey", "a\\nb"], ["all", "\r\n:\\"]]);
});

Deno.test("StompDecoder unescapes 1.1 headers, \\r too (RabbitMQ writes it to 1.1 clients)", () => {
  const ok = decodeAllWays("MESSAGE\nk:a\\nb\\c\\\\\n\n\0", { version: "1.1" });
  assertEquals(ok.frames[0]?.headers, [["k", "a\nb:\\"]]);
  // Only 1.2 defines \r; RabbitMQ writes a CR as \r under 1.1 as well.
  const cr = decodeAllWays("MESSAGE\nk:a\\rb\n\n\0", { version: "1.1" });
  assertEquals(cr.frames[0]?.headers, [["k", "a\rb"]]);
  const bad = decodeAllWays("MESSAGE\nk:a\\tb\n\n\0", { version: "1.1" });
  assertEquals(
    bad.thrown?.message,
    'Undefined escape sequence "\\\\t" in header line "k:a\\\\tb" at byte 8',
  );
});

Deno.test("StompDecoder does not unescape STOMP 1.0 headers", () => {
  const out = decodeAllWays("MESSAGE\nk:a\\nb\\t\n\n\0", { version: "1.0" });
  assertEquals(out.frames[0]?.headers, [["k", "a\\nb\\t"]]);
});

Deno.test("StompDecoder never unescapes CONNECT and CONNECTED frames", () => {
  const out = decodeAllWays(
    "CONNECT\npasscode:a\\cb\\t\n\n\0CONNECTED\nsession:x\\ny\n\n\0",
  );
  assertEquals(out.frames.map((f) => f.headers), [
    [["passcode", "a\\cb\\t"]],
    [["session", "x\\ny"]],
  ]);
});

Deno.test("StompDecoder refuses undefined escapes with the line's offset", () => {
  for (
    const [line, sequence] of [
      ["k:a\\tb", "\\t"],
      ["k:a\\", "\\"],
      ["k\\x:a", "\\x"],
    ]
  ) {
    const out = decodeAllWays(`MESSAGE\nok:1\n${line}\n\n\0`);
    assertEquals(out.thrown?.name, "StompSyntaxError");
    assertEquals(out.thrown?.offset, 13);
    assertEquals(
      out.thrown?.message,
      `Undefined escape sequence ${JSON.stringify(sequence)} in header line ${
        JSON.stringify(line)
      } at byte 13`,
    );
  }
});

Deno.test("StompDecoder refuses header lines without a colon or a name", () => {
  assertEquals(
    decodeAllWays("SEND\ndestination\n\n\0").thrown?.message,
    `Header line "destination" has no ':' at byte 5`,
  );
  assertEquals(
    decodeAllWays("SEND\n:value\n\n\0").thrown?.message,
    `Header line ":value" has an empty name at byte 5`,
  );
});

Deno.test("StompDecoder decodes UTF-8 headers and keeps a BOM", () => {
  const out = decodeAllWays("MESSAGE\nnäme:välue ✓ 😀\nb:\uFEFFx\n\n\0");
  assertEquals(out.frames[0]?.headers, [["näme", "välue ✓ 😀"], [
    "b",
    "\uFEFFx",
  ]]);
});

Deno.test("StompDecoder refuses invalid UTF-8 in a header", () => {
  const input = new Uint8Array([
    ...bytes("MESSAGE\nok:1\nbad:"),
    0xff,
    0xfe,
    ...bytes("\n\n\0"),
  ]);
  const out = decodeAllWays(input);
  assertEquals(out.thrown?.message, "Invalid UTF-8 in header line at byte 13");
  // A multi-byte character cut in the middle by a chunk boundary is fine.
  const split = bytes("MESSAGE\nk:€\n\n\0");
  assertEquals(decodeChunks(split, [11, 1]).frames[0]?.headers, [["k", "€"]]);
});

Deno.test("StompDecoder refuses NUL in a header block without waiting for more input", () => {
  // stomper's own DISCONNECT builder wrote no blank line before the NUL.
  const out = decodeAllWays("DISCONNECT\nreceipt:77\n\0\n");
  assertEquals(
    out.thrown?.message,
    "Unexpected NUL in header block at byte 22",
  );
  const decoder = new StompDecoder();
  assertThrows(
    () => decoder.push(bytes("DISCONNECT\nreceipt:77\n\0")),
    StompSyntaxError,
    "Unexpected NUL in header block at byte 22",
  );
});

Deno.test("StompDecoder reports the first error of a header block in reading order", () => {
  // A NUL anywhere comes first, then invalid UTF-8 anywhere, then the
  // command, then each line in turn, whatever the order in the block.
  const cases: [Uint8Array, string][] = [
    [
      new Uint8Array([
        ...bytes("HELLO\nno colon\nk:"),
        0xff,
        ...bytes("\0\n\n"),
      ]),
      "Unexpected NUL in header block at byte 18",
    ],
    [
      new Uint8Array([
        ...bytes("HELLO\nno colon\nk:"),
        0xff,
        ...bytes("\n\n\0"),
      ]),
      "Invalid UTF-8 in header line at byte 15",
    ],
    [bytes("HÉLLO\nno colon\n\n\0"), 'Unknown command "HÉLLO" at byte 0'],
    [
      bytes("SEND\nk:\\t\nno colon\n\n\0"),
      'Undefined escape sequence "\\\\t" in header line "k:\\\\t" at byte 5',
    ],
    [
      bytes("SEND\nk:v\nno colon\n:v\n\n\0"),
      `Header line "no colon" has no ':' at byte 9`,
    ],
  ];
  for (const [input, message] of cases) {
    assertEquals(decodeAllWays(input).thrown?.message, message);
  }
});

Deno.test("StompDecoder unescapes UTF-8 headers and quotes them in errors", () => {
  const out = decodeAllWays("MESSAGE\nnäme\\c😀:välue\\n✓\r\nb:😀😀\n\n\0");
  assertEquals(out.frames[0]?.headers, [["näme:😀", "välue\n✓"], [
    "b",
    "😀😀",
  ]]);
  assertEquals(
    decodeAllWays("MESSAGE\nok:é\nk😀:a\\tb\n\n\0").thrown?.message,
    'Undefined escape sequence "\\\\t" in header line "k😀:a\\\\tb" at byte 14',
  );
  assertEquals(
    decodeAllWays("MESSAGE\nok:é\n😀\n\n\0").thrown?.message,
    `Header line "😀" has no ':' at byte 14`,
  );
});

Deno.test("StompDecoder reads content-length among UTF-8 and escaped headers", () => {
  for (const header of ["x:é😀", "x:a\\nb", "x\\c:é"]) {
    const out = decodeAllWays(`MESSAGE\n${header}\ncontent-length:3\n\na\0b\0`);
    assertEquals(out.frames[0]?.body, bytes("a\0b"));
  }
  // The first content-length decides, escaped or not.
  const out = decodeAllWays(
    "MESSAGE\ncontent-length:\\c3\ncontent-length:3\n\na\0b\0",
  );
  assertEquals(out.thrown?.message, 'Invalid content-length ":3" at byte 45');
});

Deno.test("StompDecoder validates content-length", () => {
  for (
    const value of ["abc", "-1", "+1", " 5", "5 ", "", "1e3", "0x10", "1.0"]
  ) {
    const out = decodeAllWays(`SEND\ncontent-length:${value}\n\n\0`);
    assertEquals(out.thrown?.name, "StompSyntaxError", value);
    assertEquals(
      out.thrown?.message,
      `Invalid content-length ${JSON.stringify(value)} at byte ${
        22 + value.length
      }`,
    );
  }
});

Deno.test("StompDecoder refuses an absurd content-length before allocating", () => {
  const out = decodeAllWays("SEND\ncontent-length:99999999999\n\n");
  assertEquals(out.thrown, {
    name: "RangeError",
    message:
      "Frame content-length 99999999999 exceeds the limit of 67108864 bytes at byte 33",
  });
  const huge = decodeAllWays(`SEND\ncontent-length:${"9".repeat(400)}\n\n`);
  assertEquals(huge.thrown?.name, "RangeError");
});

Deno.test("StompDecoder requires NUL right after a content-length body", () => {
  const out = decodeAllWays("SEND\ncontent-length:3\n\nabcd\0");
  assertEquals(out.thrown, {
    name: "StompSyntaxError",
    message:
      "Frame body is not followed by NUL where content-length says it ends at byte 26",
    offset: 26,
  });
});

Deno.test("StompDecoder reports input that ends inside a frame", () => {
  for (
    const input of [
      "SEND",
      "SEND\n",
      "SEND\nk:v\n\nbody",
      "SEND\ncontent-length:5\n\nabcde",
    ]
  ) {
    const out = decodeAllWays(input);
    assertEquals(out.thrown, {
      name: "StompSyntaxError",
      message: "Input ended inside a frame that started at byte 0",
      offset: 0,
    });
  }
  assertEquals(decodeAllWays("\n\r\n").thrown, undefined);
  assertEquals(decodeAllWays("\r").thrown?.offset, 0);
});

Deno.test("StompDecoder enforces each limit with a RangeError at the first byte beyond it", () => {
  const line = decodeAllWays("SEND\nkey:0123456789\n\n\0", {
    maxHeaderLineBytes: 8,
  });
  assertEquals(line.thrown, {
    name: "RangeError",
    message: "Header line exceeds the limit of 8 bytes at byte 13",
  });
  const block = decodeAllWays("SEND\na:1\nb:2\nc:3\n\n\0", {
    maxHeaderBytes: 12,
  });
  assertEquals(block.thrown, {
    name: "RangeError",
    message: "Header block exceeds the limit of 12 bytes at byte 12",
  });
  const count = decodeAllWays("SEND\na:1\nb:2\nc:3\n\n\0", { maxHeaders: 2 });
  assertEquals(count.thrown, {
    name: "RangeError",
    message: "Frame has more than 2 headers at byte 16",
  });
  assertEquals(
    decodeAllWays("SEND\na:1\nb:2\n\n\0", { maxHeaders: 2 }).frames.length,
    1,
  );
  const body = decodeAllWays("SEND\n\n0123456789\0", { maxBodyBytes: 4 });
  assertEquals(body.thrown, {
    name: "RangeError",
    message: "Frame body exceeds the limit of 4 bytes at byte 10",
  });
  assertEquals(
    decodeAllWays("SEND\n\n0123\0", { maxBodyBytes: 4 }).frames.length,
    1,
  );
  const declared = decodeAllWays("SEND\ncontent-length:5\n\n01234\0", {
    maxBodyBytes: 4,
  });
  assertEquals(
    declared.thrown?.message,
    "Frame content-length 5 exceeds the limit of 4 bytes at byte 23",
  );
});

Deno.test("StompDecoder reports a NUL before a crossed limit, as it would byte by byte", () => {
  const out = decodeAllWays("SEND\nk:ab\0cdefghijkl\n\n\0", {
    maxHeaderLineBytes: 8,
  });
  assertEquals(out.thrown?.message, "Unexpected NUL in header block at byte 9");
  const after = decodeAllWays("SEND\nk:abcdefgh\0ijkl\n\n\0", {
    maxHeaderLineBytes: 8,
  });
  assertEquals(
    after.thrown?.message,
    "Header line exceeds the limit of 8 bytes at byte 13",
  );
});

Deno.test("StompDecoder has documented default limits", () => {
  assertEquals(DEFAULT_DECODE_LIMITS, {
    maxHeaderLineBytes: 65536,
    maxHeaderBytes: 262144,
    maxHeaders: 1000,
    maxBodyBytes: 67108864,
  });
  assertThrows(
    () => new StompDecoder({ maxBodyBytes: -1 }),
    RangeError,
    "maxBodyBytes",
  );
  assertThrows(
    () => new StompDecoder({ maxHeaders: 1.5 }),
    RangeError,
    "maxHeaders",
  );
});

Deno.test("StompDecoder never buffers more than the limits allow", () => {
  const decoder = new StompDecoder({ maxBodyBytes: 1024, maxHeaderBytes: 512 });
  decoder.push(bytes("SEND\n\n"));
  const junk = new Uint8Array(100).fill(0x61);
  let seen = 0;
  assertThrows(() => {
    for (let i = 0; i < 1000; i++) {
      decoder.push(junk);
      seen = Math.max(seen, decoder.buffered);
    }
  }, RangeError);
  assert(seen <= 1024, `buffered ${seen} bytes`);
  const head = new StompDecoder({
    maxHeaderBytes: 512,
    maxHeaderLineBytes: 100000,
  });
  head.push(bytes("SEND\n"));
  seen = 0;
  assertThrows(
    () => {
      for (let i = 0; i < 1000; i++) {
        head.push(junk);
        seen = Math.max(seen, head.buffered);
      }
    },
    RangeError,
    "Header block exceeds the limit of 512 bytes",
  );
  assert(seen <= 512, `buffered ${seen} header bytes`);
});

Deno.test("StompDecoder hands out bodies inside one chunk as views, copies the others once", () => {
  const chunk = encodeFrame(send("/queue/a", new Uint8Array(1000).fill(7)));
  const [whole] = new StompDecoder().push(chunk);
  assertStrictEquals(whole?.body.buffer, chunk.buffer);
  const decoder = new StompDecoder();
  decoder.push(chunk.subarray(0, 500));
  const [spread] = decoder.push(chunk.subarray(500));
  assert(spread?.body.buffer !== chunk.buffer);
  assertEquals(spread?.body, new Uint8Array(1000).fill(7));
  // A body that ends with its chunk, its NUL arriving in the next one.
  const edge = encodeFrame(send("/queue/a", "edge"));
  const split = new StompDecoder();
  assertEquals(split.push(edge.subarray(0, edge.length - 1)), []);
  const [atEdge] = split.push(edge.subarray(edge.length - 1));
  assertStrictEquals(atEdge?.body.buffer, edge.buffer);
  assertEquals(atEdge?.text, "edge");
  const nul = bytes("SEND\n\nabc\0");
  const [byNul] = new StompDecoder().push(nul);
  assertStrictEquals(byNul?.body.buffer, nul.buffer);
});

Deno.test("StompDecoder copies a modest content-length body that spans chunks into one array of that length", () => {
  const body = new Uint8Array(3000).map((_, i) => i % 251);
  const wire = encodeFrame(send("/queue/a", body));
  const start = wire.length - body.length - 1;
  const decoder = new StompDecoder({ maxBodyBytes: 3000 });
  assertEquals(decoder.push(wire.subarray(0, start + 100)), []);
  // The first piece by reference (the body may end with its chunk) ...
  assertEquals(decoder.buffered, 100);
  assertEquals(decoder.push(wire.subarray(start + 100, start + 2000)), []);
  // ... then the array of the declared length (up to 64 KiB).
  assertEquals(decoder.buffered, 3000);
  const [spread] = decoder.push(wire.subarray(start + 2000));
  assertEquals(spread?.body, body);
  assertEquals(spread?.body.buffer.byteLength, 3000);
  assertEquals(decoder.buffered, 0);
  // A header block that ends with its chunk: the body, wholly in the next
  // chunk, is a view of that chunk, not a copy.
  const late = new StompDecoder();
  assertEquals(late.push(wire.slice(0, start)), []);
  const rest = wire.slice(start);
  const [view] = late.push(rest);
  assertStrictEquals(view?.body.buffer, rest.buffer);
  assertEquals(view?.body, body);
});

Deno.test("StompDecoder reads content-length bodies at the limit however they are split", () => {
  // NULs and EOLs inside the bodies, a body of exactly maxBodyBytes, one
  // empty, then one without content-length.
  const out = decodeAllWays(
    "SEND\ncontent-length:6\n\n\0ab\ncd\0\nSEND\ncontent-length:0\n\n\0" +
      "SEND\ncontent-length:5\n\n\0\0\0\0\0\0MESSAGE\n\nxyz\0",
    { maxBodyBytes: 6 },
  );
  assertEquals(out.thrown, undefined);
  assertEquals(out.frames.map((f) => [...f.body]), [
    [0, 0x61, 0x62, 0x0a, 0x63, 0x64],
    [],
    [0, 0, 0, 0, 0],
    [0x78, 0x79, 0x7a],
  ]);
  assertEquals(out.heartbeats, 1);
  const over = decodeAllWays("SEND\ncontent-length:7\n\n0123456\0", {
    maxBodyBytes: 6,
  });
  assertEquals(
    over.thrown?.message,
    "Frame content-length 7 exceeds the limit of 6 bytes at byte 23",
  );
});

Deno.test("StompDecoder resynchronises after a spanning content-length body without its NUL", () => {
  const out = decodeAllWays(
    "SEND\ncontent-length:4\n\nabcdE\0SEND\ncontent-length:2\n\nok\0",
    { resync: true, onError() {} },
  );
  assertEquals(out.reported, [{
    name: "StompSyntaxError",
    message:
      "Frame body is not followed by NUL where content-length says it ends at byte 27",
    offset: 27,
  }]);
  assertEquals(out.frames, [frame("SEND", [["content-length", "2"]], "ok")]);
});

Deno.test("StompDecoder with bodyChunks decodes every input as it does without", () => {
  // Spanning bodies with and without content-length, NULs and EOLs inside
  // them, empty bodies, heart-beats, a limit, and resync after a body whose
  // NUL is missing (its pieces must not leak into the next frame).
  const cases: [string, DecodeOptions][] = [
    [
      "SEND\ncontent-length:6\n\n\0ab\ncd\0\nSEND\ncontent-length:0\n\n\0" +
      "SEND\ncontent-length:5\n\n\0\0\0\0\0\0MESSAGE\n\nxyz\0\n\n",
      { maxBodyBytes: 6 },
    ],
    ["MESSAGE\ndestination:/q\n\na longer body ended by its NUL\0", {}],
    [
      "SEND\ncontent-length:4\n\nabcdE\0SEND\ncontent-length:2\n\nok\0",
      { resync: true, onError() {} },
    ],
    [
      "SEND\ncontent-length:3\n\nabcX\0SEND\n\nnext\0",
      { resync: true, onError() {} },
    ],
    ["SEND\ncontent-length:7\n\n0123456\0", { maxBodyBytes: 6 }],
    ["SEND\n\n0123456\0", { maxBodyBytes: 6 }],
    ["SEND\ncontent-length:5\n\nabc", {}],
  ];
  for (const [input, options] of cases) {
    const copied = decodeAllWays(input, options);
    assertEquals(
      decodeAllWays(input, { ...options, bodyChunks: true }),
      copied,
    );
    assertEquals(
      decodeAllWays(input, { ...options, bodyChunks: false }),
      copied,
    );
  }
});

Deno.test("StompDecoder with bodyChunks hands out a spanning body as the chunk views it came in", () => {
  const body = new Uint8Array(5000).map((_, i) => i % 251);
  const wire = encodeFrame(send("/queue/a", body));
  const start = wire.length - body.length - 1;
  // Chunks that own their buffers, as a socket read hands them out.
  const chunks = [
    wire.slice(0, start + 1500),
    wire.slice(start + 1500, start + 3500),
    wire.slice(start + 3500),
  ];
  const decoder = new StompDecoder({ bodyChunks: true, maxBodyBytes: 5000 });
  assertEquals(decoder.push(chunks[0]!), []);
  // Held by reference: the bytes received so far, not an array of 5000.
  assertEquals(decoder.buffered, 1500);
  assertEquals(decoder.push(chunks[1]!), []);
  assertEquals(decoder.buffered, 3500);
  const [frame] = decoder.push(chunks[2]!);
  assertEquals(decoder.buffered, 0);
  assertEquals(frame?.bodyLength, 5000);
  assertEquals(
    frame?.bodyChunks.map((c) => c.buffer),
    chunks.map((c) => c.buffer),
  );
  assertEquals(frame?.bodyChunks.map((c) => c.length), [1500, 2000, 1500]);
  // Joined when first read, then that array from then on.
  const joined = frame!.body;
  assertEquals(joined, body);
  assertStrictEquals(frame?.body, joined);
  assertEquals(frame?.bodyChunks, [joined]);
  assertEquals(frame?.headers.get("destination"), "/queue/a");

  // A body ended by its NUL comes out the same way.
  const text = bytes("MESSAGE\n\n" + "x".repeat(5000) + "\0");
  const parts = [text.slice(0, 2000), text.slice(2000, 4000), text.slice(4000)];
  const byNul = new StompDecoder({ bodyChunks: true });
  assertEquals(byNul.push(parts[0]!), []);
  assertEquals(byNul.push(parts[1]!), []);
  const [ended] = byNul.push(parts[2]!);
  assertEquals(
    ended?.bodyChunks.map((c) => c.buffer),
    parts.map((c) => c.buffer),
  );
  assertEquals(ended?.text, "x".repeat(5000));

  // A body inside one chunk is a view, as without the option.
  const [inside] = new StompDecoder({ bodyChunks: true }).push(wire);
  assertStrictEquals(inside?.body.buffer, wire.buffer);
  assertEquals(inside?.bodyChunks, [inside!.body]);
});

Deno.test("StompDecoder with bodyChunks keeps to maxBodyBytes", () => {
  const declared = new StompDecoder({ bodyChunks: true, maxBodyBytes: 100 });
  assertThrows(
    () => declared.push(bytes("SEND\ncontent-length:101\n\n")),
    RangeError,
    "Frame content-length 101 exceeds the limit of 100 bytes",
  );
  const decoder = new StompDecoder({ bodyChunks: true, maxBodyBytes: 1024 });
  decoder.push(bytes("SEND\n\n"));
  const junk = new Uint8Array(100).fill(0x61);
  let seen = 0;
  assertThrows(
    () => {
      for (let i = 0; i < 1000; i++) {
        decoder.push(junk.slice());
        seen = Math.max(seen, decoder.buffered);
      }
    },
    RangeError,
    "Frame body exceeds the limit of 1024 bytes",
  );
  assert(seen <= 1024, `buffered ${seen} bytes`);
});

Deno.test("StompDecoder resynchronises after junk when asked to", () => {
  // stomper's syncBuffer cases: junk, junk with NULs, junk then a real frame.
  const good = "SEND\ndestination:/queue/a\n\nThis is the body text\0\n";
  const out = decodeAllWays(`rubbish\0\nmorerubbish\0\n${good}`, {
    resync: true,
    onError() {},
  });
  assertEquals(out.frames, [
    frame("SEND", [["destination", "/queue/a"]], "This is the body text"),
  ]);
  assertEquals(out.reported.map((e) => e.message), [
    "Unexpected NUL in header block at byte 7",
    "Unexpected NUL in header block at byte 20",
  ]);
  assertEquals(out.order, "EHEHFH");
  assertEquals(out.thrown, undefined);
});

Deno.test("StompDecoder resync skips a broken frame to its NUL and carries on", () => {
  const out = decodeAllWays(
    "SEND\nbad\n\nbody\0SEND\ncontent-length:2\n\nabc\0RECEIPT\nreceipt-id:1\n\n\0",
    { resync: true, onError() {} },
  );
  assertEquals(out.frames.map((f) => f.command), ["RECEIPT"]);
  assertEquals(out.reported.map((e) => e.offset), [5, 40]);
  // Junk without a NUL until the end: reported at end(), nothing thrown.
  const tail = decodeAllWays("RECEIPT\n\n\0NOT A FRAME", {
    resync: true,
    onError() {},
  });
  assertEquals(tail.frames.length, 1);
  assertEquals(tail.reported.map((e) => e.message), [
    "Input ended inside a frame that started at byte 10",
  ]);
});

Deno.test("StompDecoder resync needs onError and never skips a limit error", () => {
  assertThrows(() => new StompDecoder({ resync: true }), TypeError, "onError");
  const out = decodeAllWays("SEND\n\n0123456789\0", {
    resync: true,
    onError() {},
    maxBodyBytes: 4,
  });
  assertEquals(out.thrown?.name, "RangeError");
});

Deno.test("StompDecoder stays failed after an error", () => {
  const decoder = new StompDecoder();
  const first = assertThrows(
    () => decoder.push(bytes("BAD\n\n\0")),
    StompSyntaxError,
  );
  const again = assertThrows(
    () => decoder.push(bytes("SEND\n\n\0")),
    StompSyntaxError,
  );
  assertStrictEquals(again, first);
  assertThrows(() => decoder.end(), StompSyntaxError);
});

Deno.test("StompDecoder decode delivers the frames before an error, push throws", () => {
  const input = bytes("RECEIPT\nreceipt-id:1\n\n\0BAD\n\n\0");
  const seen: string[] = [];
  assertThrows(
    () => new StompDecoder().decode(input, (f) => seen.push(f.command)),
    StompSyntaxError,
  );
  assertEquals(seen, ["RECEIPT"]);
});

Deno.test("StompDecoder version can change between frames", () => {
  const decoder = new StompDecoder({ version: "1.0" });
  const [a] = decoder.push(bytes("MESSAGE\nk:a\\cb\n\n\0"));
  decoder.version = "1.2";
  const [b] = decoder.push(bytes("MESSAGE\nk:a\\cb\n\n\0"));
  assertEquals([a?.headers.get("k"), b?.headers.get("k")], ["a\\cb", "a:b"]);
  assertThrows(() => {
    decoder.version = "2.0" as "1.2";
  }, TypeError);
});

Deno.test("StompDecoder examines each byte a bounded number of times", () => {
  // Count the bytes Uint8Array#indexOf scans: rescanning buffered data would
  // make the count grow with the square of the frame size.
  const scanned = (input: Uint8Array, chunk: number) => {
    const original = Uint8Array.prototype.indexOf;
    let total = 0;
    Uint8Array.prototype.indexOf = function (
      this: Uint8Array,
      value: number,
      from = 0,
    ) {
      const found = original.call(this, value, from);
      total += (found === -1 ? this.length : found + 1) - from;
      return found;
    };
    try {
      const decoder = new StompDecoder({
        maxHeaderLineBytes: 1 << 24,
        maxHeaderBytes: 1 << 24,
      });
      for (let at = 0; at < input.length; at += chunk) {
        decoder.push(input.subarray(at, at + chunk));
      }
    } finally {
      Uint8Array.prototype.indexOf = original;
    }
    return total;
  };
  const body = "x".repeat(200_000);
  const longHeader = bytes(`SEND\nk:${body}\n\n\0`);
  const longBody = bytes(`SEND\n\n${body}\0`);
  for (const input of [longHeader, longBody]) {
    for (const chunk of [1, 7, 64, 4096]) {
      const total = scanned(input, chunk);
      assert(
        total <= 3 * input.length,
        `scanned ${total} bytes of ${input.length}`,
      );
    }
  }
});

Deno.test("decodeFrame decodes exactly one frame", () => {
  const frame = decodeFrame(
    bytes("\nMESSAGE\ndestination:/q\n\nhello queue a\0\n"),
  );
  assertEquals(frame.command, "MESSAGE");
  assertEquals(frame.text, "hello queue a");
  assertThrows(() => decodeFrame(bytes("")), StompSyntaxError, "found none");
  assertThrows(
    () => decodeFrame(bytes("\n\n")),
    StompSyntaxError,
    "found none",
  );
  const two = assertThrows(
    () => decodeFrame(bytes("COMMIT\n\n\0ABORT\n\n\0")),
    StompSyntaxError,
    "found a second",
  );
  assertEquals(two.offset, 9);
  assertThrows(
    () => decodeFrame(bytes("SEND\n\nabc")),
    StompSyntaxError,
    "ended inside",
  );
});

Deno.test("StompDecoderStream delivers frames, then errors the stream", async () => {
  const input = bytes("RECEIPT\nreceipt-id:1\n\n\0BAD\n\n\0");
  const frames: string[] = [];
  const stream = ReadableStream.from([input]).pipeThrough(
    new StompDecoderStream(),
  );
  const error = await (async () => {
    try {
      for await (const frame of stream) frames.push(frame.command);
    } catch (error) {
      return error;
    }
    return undefined;
  })();
  assertEquals(frames, ["RECEIPT"]);
  assertInstanceOf(error, StompSyntaxError);
  assertEquals(error.offset, 23);
});

Deno.test("StompDecoderStream errors when input ends inside a frame", async () => {
  const stream = ReadableStream.from([bytes("SEND\n\nabc")]).pipeThrough(
    new StompDecoderStream(),
  );
  let error: unknown;
  try {
    await Array.fromAsync(stream);
  } catch (e) {
    error = e;
  }
  assertInstanceOf(error, StompSyntaxError);
  assertEquals(
    error.message,
    "Input ended inside a frame that started at byte 0",
  );
});

Deno.test("StompDecoderStream reports heart-beats, resyncs and switches version", async () => {
  let heartbeats = 0;
  const errors: StompSyntaxError[] = [];
  const decoder = new StompDecoderStream({
    version: "1.0",
    onHeartbeat: () => heartbeats++,
    resync: true,
    onError: (e) => errors.push(e),
  });
  assertEquals(decoder.version, "1.0");
  decoder.version = "1.1";
  const frames = await Array.fromAsync(
    ReadableStream.from([bytes("\njunk\0\nMESSAGE\nk:a\\cb\n\n\0\n")])
      .pipeThrough(decoder),
  );
  assertEquals(frames.map((f) => f.headers.get("k")), ["a:b"]);
  assertEquals(heartbeats, 3);
  assertEquals(errors.length, 1);
});

Deno.test("StompDecoderStream with bodyChunks hands out spanning bodies as chunk views", async () => {
  const body = new Uint8Array(5000).fill(3);
  const wire = encodeFrame(send("/queue/a", body));
  const chunks = [
    wire.slice(0, 1000),
    wire.slice(1000, 4000),
    wire.slice(4000),
  ];
  const [frame] = await Array.fromAsync(
    ReadableStream.from(chunks).pipeThrough(
      new StompDecoderStream({ bodyChunks: true }),
    ),
  );
  assertEquals(frame?.bodyChunks.length, 3);
  assertEquals(
    frame?.bodyChunks.map((c) => c.buffer),
    chunks.map((c) => c.buffer),
  );
  assertEquals(frame?.bodyLength, 5000);
  assertEquals(frame?.body, body);
});
