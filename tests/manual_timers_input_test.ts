// ManualTimers given what a JavaScript test may pass for milliseconds: a
// string ("100" from a table) must be refused, not added to the clock as text.

import { assertEquals, assertRejects } from "@std/assert";
import { ManualTimers } from "../src/testing/mod.ts";

Deno.test("ManualTimers.advance refuses a number given as a string and keeps its clock", async () => {
  const timers = new ManualTimers();
  let fired = 0;
  timers.setTimeout(() => fired++, 50);
  await assertRejects(
    () => timers.advance("100" as unknown as number),
    RangeError,
    'Cannot advance clock: ms must be a non-negative number, got "100"',
  );
  assertEquals(timers.now(), 0);
  await timers.advance(100);
  assertEquals([timers.now(), fired], [100, 1]);
  await assertRejects(
    () => timers.advance(NaN),
    RangeError,
    "Cannot advance clock: ms must be a non-negative number, got NaN",
  );
});
