// SEND preparation (src/client/_sends.ts): the checks at the call, the
// one place that decides a text goes without content-length, and the fast
// path's header list.

import { assertEquals, assertInstanceOf } from "@std/assert";
import {
  sendHeaderList,
  sendOptions,
  SendRules,
} from "../src/client/_sends.ts";

Deno.test("SendRules tooLarge measures text in UTF-8 bytes against the limit", () => {
  const rules = new SendRules(4, true);
  assertEquals(rules.tooLarge("/queue/a", "abcd"), undefined);
  const error = rules.tooLarge("/queue/a", "abcé");
  assertInstanceOf(error, RangeError);
  assertEquals(
    error.message.startsWith(
      'Cannot send to "/queue/a": the body is 5 bytes, over maxSendBodyBytes (4)',
    ),
    true,
  );
  assertInstanceOf(rules.tooLarge("/queue/a", new Uint8Array(5)), RangeError);
});

Deno.test("SendRules lengthless follows the call, then the client option, for text only", () => {
  const withLength = new SendRules(1024, true);
  assertEquals(withLength.lengthless("/q", "text", {}), false);
  assertEquals(
    withLength.lengthless("/q", "text", { contentLength: false }),
    true,
  );
  assertEquals(
    withLength.lengthless("/q", new Uint8Array(1), { contentLength: false }),
    false,
  );
  assertEquals(
    withLength.lengthless("/q", "", { contentLength: false }),
    false,
  );
  const without = new SendRules(1024, false);
  assertEquals(without.lengthless("/q", "text", {}), true);
  assertEquals(
    without.lengthless("/q", "text", { contentLength: true }),
    false,
  );
  const nul = without.lengthless("/q", "a\0b", {});
  assertInstanceOf(nul, TypeError);
  assertEquals(
    nul.message.startsWith(
      'Cannot send to "/q": the text holds a NUL character at index 1',
    ),
    true,
  );
});

Deno.test("sendHeaderList builds the fast path's headers, or leaves the call to the general path", () => {
  assertEquals(
    sendHeaderList("/queue/a", "x", {
      contentType: "text/plain",
      headers: { priority: "9" },
    }),
    ["destination", "/queue/a", "content-type", "text/plain", "priority", "9"],
  );
  assertEquals(sendHeaderList("", "x", {}), undefined);
  assertEquals(sendHeaderList("/queue/a", "x", { timeout: -1 }), undefined);
  assertEquals(sendHeaderList("/queue/a", "x", { contentType: "" }), undefined);
  assertEquals(sendOptions({ receipt: true, timeout: 5 }), { receipt: true });
});
