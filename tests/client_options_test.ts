import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import {
  operationTimeout,
  resolveOptions,
  validTimeout,
} from "../src/client/_options.ts";

const open = () => {
  throw new Error("not opened in these tests");
};

Deno.test("resolveOptions fills in every default", () => {
  const settings = resolveOptions(open, {});
  assertEquals(settings.grace, 3);
  assertEquals(settings.connectTimeout, 10000);
  assertEquals(settings.disconnectTimeout, 10000);
  assertEquals(settings.receiptTimeout, 30000);
  assertEquals(settings.highWaterMark, 256);
  assertEquals(settings.sendBufferSize, 4 * 1024 * 1024);
  assertEquals(settings.policy, undefined);
  assertEquals(settings.textContentLength, true);
  assertEquals(settings.bodyChunks, false);
  assertEquals(settings.replyMode, "auto");
  assertEquals(settings.credentials, { login: false, passcode: false });
  assertEquals(settings.redact, undefined);
});

Deno.test("resolveOptions refuses a bad value with the option's name", () => {
  assertThrows(
    () => resolveOptions(open, { heartBeatGrace: 0.5 }),
    RangeError,
    "heartBeatGrace must be at least 1, got 0.5",
  );
  assertThrows(
    () => resolveOptions(open, { highWaterMark: 1.5 }),
    RangeError,
    "highWaterMark must be a positive integer",
  );
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => resolveOptions(open, { replyMode: "queue" as any }),
    TypeError,
    'replyMode must be "auto", "temp-queue" or "subscription", got "queue"',
  );
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => resolveOptions({} as any, {}),
    TypeError,
    "expected a transport",
  );
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  assertThrows(
    () =>
      resolveOptions({ readable, writable, close() {} }, { reconnect: true }),
    TypeError,
    "reconnect needs a function",
  );
});

Deno.test("operationTimeout takes the operation's own timeout or the fallback", () => {
  assertEquals(operationTimeout("send", {}, 30000), 30000);
  assertEquals(operationTimeout("send", { timeout: 5 }, 30000), 5);
  const invalid = operationTimeout("send", { timeout: -1 }, 30000);
  assertInstanceOf(invalid, RangeError);
  assertEquals(
    invalid.message,
    "Cannot send: timeout must be a non-negative number, got -1",
  );
  assertEquals(validTimeout(undefined), true);
  assertEquals(validTimeout(Infinity), false);
});
