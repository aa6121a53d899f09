// Errors about a header say which header and what kind of value, never the
// value itself: StompHeaders given a passcode as a number or a pair with a
// stray third element, the encoder given a passcode read from a file with
// its final newline. These errors reach logs (SECURITY.md: no secret in
// what the library reports).

import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { connect } from "../src/builders.ts";
import { StompClient } from "../src/client/mod.ts";
import { encodeFrame, type StompFrameLike } from "../src/encoder.ts";
import type { StompVersion } from "../src/frame.ts";
import { StompHeaders } from "../src/headers.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

Deno.test("StompHeaders' constructor names the header and the type of a wrong value, never the value", () => {
  const cases: [unknown, string][] = [
    [{ passcode: 98765 }, 'got a number as the value of "passcode" at index 0'],
    [
      [["passcode", 98765]],
      'got a number as the value of "passcode" at index 0',
    ],
    [[["passcode", "s3cret", "x"]], "got an array of 3 elements at index 0"],
    [[[1234, "s3cret"]], "got a number as a header name at index 0"],
  ];
  for (const [init, detail] of cases) {
    const error = assertThrows(
      () => new StompHeaders(init as [string, string][]),
      TypeError,
    );
    assertEquals(
      error.message,
      `Cannot create headers: expected [name, value] string pairs, ${detail}`,
    );
    for (const secret of ["98765", "s3cret", "1234"]) {
      assertEquals(error.message.includes(secret), false, error.message);
    }
  }
});

Deno.test("connect() with a passcode of the wrong type in headers does not show it", () => {
  const error = assertThrows(
    () =>
      connect({
        host: "/",
        headers: { passcode: 4321 } as unknown as Record<string, string>,
      }),
    TypeError,
  );
  assertEquals(error.message.includes("4321"), false, error.message);
});

Deno.test("encodeFrame refusing a header value names the header, never the value: a passcode read from a file with its final newline", () => {
  const token = "eyJhbGciOiJIUzI1NiJ9.s3cret\n";
  const cases: [StompFrameLike, StompVersion, string][] = [
    [
      connect({ host: "/", login: "app", passcode: token }),
      "1.2",
      'Cannot encode CONNECT frame: the value of header "passcode" contains LF, which a CONNECT frame cannot carry (its headers are never escaped, in any STOMP version)',
    ],
    [
      { command: "SEND", headers: [["x-auth", "s3cret\r"]] },
      "1.1",
      'Cannot encode SEND frame: the value of header "x-auth" ends with CR, which STOMP 1.1 cannot escape',
    ],
    [
      { command: "SEND", headers: [["x-auth", "s3cret\0"]] },
      "1.2",
      'Cannot encode SEND frame: the value of header "x-auth" contains NUL',
    ],
  ];
  for (const [frame, version, message] of cases) {
    const error = assertThrows(
      () => encodeFrame(frame, { version }),
      TypeError,
    );
    assertEquals(error.message, message);
    assertEquals(error.message.includes("s3cret"), false);
  }
});

Deno.test("StompClient.connectUrl with a passcode ending in a newline fails without showing it", async () => {
  await using broker = StompTestBroker.listen();
  const error = await assertRejects(() =>
    StompClient.connectUrl(broker.url, {
      login: "app",
      passcode: "s3cret-token\n",
    })
  );
  assertEquals(error.message.includes("s3cret"), false, error.message);
  assertEquals(error.message.includes('"passcode"'), true, error.message);
});
