// The receipt registry (src/client/_receipts.ts): receipts by id, the
// connection each was written on, and what a lost connection or a closed
// client fails.

import { assertEquals } from "@std/assert";
import { type PendingReceipt, Receipts } from "../src/client/_receipts.ts";

function pending(
  log: string[],
  name: string,
  subscription?: string,
): PendingReceipt {
  return {
    confirm: () => log.push(`${name} confirmed`),
    fail: (error, report) =>
      log.push(`${name} failed: ${error.message} ${report}`),
    subscription,
    epoch: undefined,
  };
}

Deno.test("Receipts takes a receipt once, by id", () => {
  const log: string[] = [];
  const receipts = new Receipts();
  receipts.add("r-1", pending(log, "send"));
  assertEquals(receipts.size, 1);
  receipts.take("r-1")?.confirm();
  assertEquals(receipts.take("r-1"), undefined);
  assertEquals(receipts.size, 0);
  assertEquals(log, ["send confirmed"]);
});

Deno.test("Receipts lost fails only what was written on that connection", () => {
  const log: string[] = [];
  const receipts = new Receipts();
  receipts.add("r-1", pending(log, "on 1"));
  receipts.add("r-2", pending(log, "on 2"));
  receipts.add("r-3", pending(log, "queued"));
  receipts.written("r-1", 1);
  receipts.written("r-2", 2);
  receipts.lost(1, new Error("lost"));
  assertEquals(log, ["on 1 failed: lost false"]);
  assertEquals(receipts.size, 2);
  receipts.closed(new Error("closed"));
  assertEquals(log, [
    "on 1 failed: lost false",
    "on 2 failed: closed false",
    "queued failed: closed false",
  ]);
  assertEquals(receipts.size, 0);
});

Deno.test("Receipts oldestSubscribe names the oldest SUBSCRIBE written on a connection", () => {
  const log: string[] = [];
  const receipts = new Receipts();
  receipts.add("r-1", pending(log, "send"));
  receipts.add("r-2", pending(log, "queued subscribe", "sub-1"));
  receipts.add("r-3", pending(log, "subscribe", "sub-2"));
  receipts.add("r-4", pending(log, "later subscribe", "sub-3"));
  receipts.written("r-1", 1);
  receipts.written("r-3", 1);
  receipts.written("r-4", 1);
  assertEquals(receipts.oldestSubscribe(1), "r-3");
  assertEquals(receipts.oldestSubscribe(2), undefined);
});
