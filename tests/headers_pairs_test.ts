// An iterable given to StompHeaders must hold [name, value] pairs: an entry
// with a third element, a missing value or no array at all is refused with
// its index and the kind of thing it held (never a value, which may be a
// secret: tests/headers_secrets_test.ts), never cut to its first two
// elements.

import { assertEquals, assertThrows } from "@std/assert";
import { StompHeaders } from "../mod.ts";

Deno.test("StompHeaders refuses an entry that is not a pair, naming its index", () => {
  const cases: [unknown[], string][] = [
    [[["a", "b", "c"]], "got an array of 3 elements at index 0"],
    [[["a", "1"], ["b"]], "got an array of 1 element at index 1"],
    [[["a", "1"], ["b", "2"], []], "got an array of 0 elements at index 2"],
    [[["a", "1"], "ab"], "got a string at index 1"],
    [[5], "got a number at index 0"],
    [[null], "got null at index 0"],
    [[["a", 1]], 'got a number as the value of "a" at index 0'],
  ];
  for (const [init, detail] of cases) {
    assertThrows(
      () => new StompHeaders(init as [string, string][]),
      TypeError,
      `Cannot create headers: expected [name, value] string pairs, ${detail}`,
    );
  }
});

Deno.test("StompHeaders takes pairs from any iterable, a Map's entries included", () => {
  const map = new Map([["a", "1"], ["b", "2"]]);
  assertEquals([...new StompHeaders(map)], [["a", "1"], ["b", "2"]]);
  assertEquals([...new StompHeaders(map.entries())], [["a", "1"], ["b", "2"]]);
  assertEquals([...new StompHeaders({ a: "1", b: undefined })], [["a", "1"]]);
});
