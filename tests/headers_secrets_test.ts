// StompHeaders refuses a wrong entry saying where and what kind of value it
// was, never the value itself: a passcode given as a number, or a pair with
// a stray third element, may hold a secret, and these errors reach logs
// (SECURITY.md: no secret in what the library reports).

import { assertEquals, assertThrows } from "@std/assert";
import { connect } from "../src/builders.ts";
import { StompHeaders } from "../src/headers.ts";

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
