import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  connect,
  connected,
  encodeFrame,
  HEARTBEAT,
  type Heartbeat,
  send,
  StompDecoder,
  StompEncoderStream,
  StompFrame,
  type StompFrameLike,
} from "../mod.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("encodeFrame writes command, headers, blank line, body and NUL", () => {
  const frame = new StompFrame("SEND", [["destination", "/queue/a"], [
    "x",
    "1",
  ]], "hi");
  assertEquals(
    text(encodeFrame(frame)),
    "SEND\ndestination:/queue/a\nx:1\ncontent-length:2\n\nhi\0",
  );
  assertEquals(
    text(encodeFrame(new StompFrame("COMMIT", { transaction: "t" }))),
    "COMMIT\ntransaction:t\n\n\0",
  );
});

Deno.test("encodeFrame writes the true content-length in octets for every body", () => {
  const out = encodeFrame({
    command: "SEND",
    headers: [["content-length", "999"], ["destination", "/q"], [
      "content-length",
      "1",
    ]],
    body: "✓\0",
  });
  assertEquals(text(out), "SEND\ndestination:/q\ncontent-length:4\n\n✓\0\0");
  assertEquals(
    text(encodeFrame({ command: "SEND", headers: { "content-length": "5" } })),
    "SEND\n\n\0",
  );
});

Deno.test("encodeFrame escapes headers per version", () => {
  const headers: [string, string][] = [["k:\\", "a\nb:c\\d\re"]];
  assertEquals(
    text(encodeFrame({ command: "SEND", headers }, { version: "1.2" })),
    "SEND\nk\\c\\\\:a\\nb\\cc\\\\d\\re\n\n\0",
  );
  assertEquals(
    text(encodeFrame({ command: "SEND", headers }, { version: "1.1" })),
    "SEND\nk\\c\\\\:a\\nb\\cc\\\\d\re\n\n\0",
  );
  assertEquals(
    text(
      encodeFrame({ command: "SEND", headers: [["k", "a:b\\c\rd"]] }, {
        version: "1.0",
      }),
    ),
    "SEND\nk:a:b\\c\rd\n\n\0",
  );
});

Deno.test("encodeFrame never escapes CONNECT and CONNECTED frames", () => {
  assertEquals(
    text(encodeFrame(connect({ host: "/", login: "u", passcode: "p:a\\ss" }))),
    "CONNECT\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:u\npasscode:p:a\\ss\n\n\0",
  );
  assertEquals(
    text(encodeFrame(connected({ version: "1.2", session: "a:b" }))),
    "CONNECTED\nversion:1.2\nsession:a:b\n\n\0",
  );
});

Deno.test("encodeFrame refuses headers it cannot write faithfully", () => {
  const cases: [StompFrameLike, "1.0" | "1.1" | "1.2", string][] = [
    [
      { command: "SEND", headers: [["k", "a\0b"]] },
      "1.2",
      'the value of header "k" contains NUL',
    ],
    [{ command: "SEND", headers: [["k\0", "v"]] }, "1.2", "header name"],
    [
      { command: "SEND", headers: [["k", "a\nb"]] },
      "1.0",
      "contains LF, which STOMP 1.0 cannot escape",
    ],
    [
      { command: "SEND", headers: [["a:b", "v"]] },
      "1.0",
      "contains ':', which STOMP 1.0 cannot escape",
    ],
    [{ command: "SEND", headers: [["k", "v\r"]] }, "1.0", "ends with CR"],
    [
      { command: "SEND", headers: [["k", "v\r"]] },
      "1.1",
      "ends with CR, which STOMP 1.1 cannot escape",
    ],
    [
      { command: "CONNECT", headers: [["login", "a\nb"]] },
      "1.0",
      "contains LF, which a CONNECT frame cannot carry (its headers are never escaped, in any STOMP version)",
    ],
    [
      { command: "CONNECT", headers: [["login", "a\nb"]] },
      "1.2",
      "which a CONNECT frame cannot carry (its headers are never escaped, in any STOMP version)",
    ],
    [
      { command: "CONNECTED", headers: [["a:b", "v"]] },
      "1.2",
      "which a CONNECTED frame cannot carry (its headers are never escaped, in any STOMP version)",
    ],
    [
      { command: "SEND", headers: [["", "v"]] },
      "1.2",
      "a header name is empty",
    ],
  ];
  for (const [frame, version, message] of cases) {
    assertThrows(() => encodeFrame(frame, { version }), TypeError, message);
  }
  assertThrows(
    () => encodeFrame({ command: "send" as "SEND" }),
    TypeError,
    'Cannot encode frame: unknown command "send"',
  );
  assertThrows(
    () => encodeFrame(send("/q"), { version: "1.3" as "1.2" }),
    TypeError,
    'unknown STOMP version "1.3"',
  );
});

Deno.test("encodeFrame keeps values as given, never trimmed or padded", () => {
  assertEquals(
    text(
      encodeFrame({ command: "SEND", headers: [[" a ", "  b  "], ["e", ""]] }),
    ),
    "SEND\n a :  b  \ne:\n\n\0",
  );
});

Deno.test("encodeFrame measures UTF-8 exactly, astral and lone surrogates included", () => {
  for (const value of ["é", "✓", "😀", "a\uD800b", "\uDC00", "x\uD83D"]) {
    const out = encodeFrame({ command: "SEND", headers: [["k", value]] });
    assertEquals(out, new TextEncoder().encode(`SEND\nk:${value}\n\n\0`));
  }
});

Deno.test("encodeFrame returns a fresh buffer the body was copied into once", () => {
  const body = new Uint8Array(64 * 1024).fill(9);
  const big = new Uint8Array(body.length + 10);
  big.set(body, 5);
  const view = big.subarray(5, 5 + body.length);
  const out = encodeFrame(send("/q", view));
  assertEquals(out.byteOffset, 0);
  assertEquals(out.buffer.byteLength, out.length);
  view.fill(1);
  assertEquals(
    out.subarray(out.length - 1 - body.length, out.length - 1),
    body,
  );
  assertEquals(encodeFrame(HEARTBEAT), new Uint8Array([0x0a]));
});

Deno.test("StompEncoderStream gives one chunk per frame or heart-beat", async () => {
  const encoder = new StompEncoderStream({ version: "1.0" });
  assertEquals(encoder.version, "1.0");
  encoder.version = "1.2";
  const input: (StompFrameLike | Heartbeat)[] = [
    send("/q", "a"),
    HEARTBEAT,
    { command: "SEND", headers: { k: "a:b" } },
  ];
  const chunks = await Array.fromAsync(
    ReadableStream.from(input).pipeThrough(encoder),
  );
  assertEquals(chunks.map(text), [
    "SEND\ndestination:/q\ncontent-length:1\n\na\0",
    "\n",
    "SEND\nk:a\\cb\n\n\0",
  ]);
  assertThrows(() => {
    encoder.version = "3" as "1.2";
  }, TypeError);
});

Deno.test("StompEncoderStream errors on a frame it cannot encode", async () => {
  const stream = ReadableStream.from([
    { command: "SEND", headers: { k: "\0" } } as StompFrameLike,
  ])
    .pipeThrough(new StompEncoderStream());
  let error: unknown;
  try {
    await Array.fromAsync(stream);
  } catch (e) {
    error = e;
  }
  assert(error instanceof TypeError);
});

Deno.test("encodeFrame and StompFrame say what a body may be when given something else", () => {
  const cases: [unknown, string][] = [
    [{ n: 1 }, "got an object (encode it first, e.g. JSON.stringify(body))"],
    [
      new ArrayBuffer(4),
      "got an ArrayBuffer (wrap it: new Uint8Array(buffer))",
    ],
    [
      new Uint16Array(2),
      "got a Uint16Array (pass a Uint8Array view of its bytes)",
    ],
    [42, "got a number"],
    [null, "got null"],
  ];
  for (const [body, detail] of cases) {
    assertThrows(
      () =>
        encodeFrame({
          command: "SEND",
          headers: { destination: "/q" },
          body: body as string,
        }),
      TypeError,
      `Cannot encode frame: a body must be a string (sent as UTF-8) or a Uint8Array, ${detail}`,
    );
    assertThrows(
      () => new StompFrame("SEND", { destination: "/q" }, body as string),
      TypeError,
      `Cannot create frame: a body must be a string (sent as UTF-8) or a Uint8Array, ${detail}`,
    );
  }
});

Deno.test("encodeFrame with contentLength: false leaves content-length out, and the decoder reads the body up to its NUL", () => {
  const frame = send("/queue/a", "héllo", {
    headers: { "content-length": "99" },
  });
  const bytes = encodeFrame(frame, { contentLength: false });
  assertEquals(text(bytes), "SEND\ndestination:/queue/a\n\nhéllo\0");
  const [decoded] = new StompDecoder().push(bytes);
  assertEquals(decoded?.text, "héllo");
  assertEquals(decoded?.headers.get("content-length"), undefined);
  // The general path (a header that needs escaping) too.
  const escaped = send("/queue/a", "x", { headers: { "a:b": "c" } });
  assertEquals(
    text(encodeFrame(escaped, { contentLength: false })),
    "SEND\ndestination:/queue/a\na\\cb:c\n\nx\0",
  );
  // A frame without a body is the same either way.
  assertEquals(
    encodeFrame(send("/queue/a"), { contentLength: false }),
    encodeFrame(send("/queue/a")),
  );
});

Deno.test("encodeFrame with contentLength: false refuses a body holding NUL with a TypeError", () => {
  assertThrows(
    () => encodeFrame(send("/queue/a", "a\0b"), { contentLength: false }),
    TypeError,
    "Cannot encode frame: the SEND body holds a NUL byte at offset 1, which a frame without content-length cannot carry (its body ends at the first NUL)",
  );
});

Deno.test("StompEncoderStream passes contentLength: false to every frame", async () => {
  const chunks = await Array.fromAsync(
    ReadableStream.from([send("/queue/a", "one"), send("/queue/b", "two")])
      .pipeThrough(new StompEncoderStream({ contentLength: false })),
  );
  assertEquals(chunks.map(text), [
    "SEND\ndestination:/queue/a\n\none\0",
    "SEND\ndestination:/queue/b\n\ntwo\0",
  ]);
});
