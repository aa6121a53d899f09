// SEND preparation (src/client/_sends.ts): the checks at the call, the
// one place that decides a text goes without content-length, and the fast
// path's header list.

import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { StompHeaders } from "@stomper/stomp";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import {
  sendHeaderList,
  sendOptions,
  SendRules,
} from "../src/client/_sends.ts";

Deno.test("SendRules.refusal measures text in UTF-8 bytes against the limit", () => {
  const rules = new SendRules({
    maxSendBody: 4,
    textContentLength: true,
    limits: {},
  });
  assertEquals(rules.refusal("/queue/a", "abcd"), undefined);
  const error = rules.refusal("/queue/a", "abcé");
  assertInstanceOf(error, RangeError);
  assertEquals(
    error.message.startsWith(
      'Cannot send to "/queue/a": the body is 5 bytes, over maxSendBodyBytes (4)',
    ),
    true,
  );
  assertInstanceOf(rules.refusal("/queue/a", new Uint8Array(5)), RangeError);
});

Deno.test("SendRules lengthless follows the call, then the client option, for text only", () => {
  const withLength = new SendRules({
    maxSendBody: 1024,
    textContentLength: true,
    limits: {},
  });
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
  const without = new SendRules({
    maxSendBody: 1024,
    textContentLength: false,
    limits: {},
  });
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

Deno.test("SendRules.refusal refuses a header line past decodeLimits.maxHeaderLineBytes, escapes and UTF-8 counted, naming the header", () => {
  const rules = new SendRules({
    maxSendBody: 1024,
    textContentLength: true,
    limits: { maxHeaderLineBytes: 20 },
  });
  // "x-a:" and 16 bytes: 20, the limit.
  assertEquals(
    rules.refusal("/q", "", { headers: { "x-a": "a".repeat(16) } }),
    undefined,
  );
  for (
    const options of [
      { headers: { "x-a": "a".repeat(17) } },
      { headers: [["x-a", "a".repeat(15) + ":"]] as [string, string][] },
      { headers: new StompHeaders({ "x-a": "a".repeat(15) + "é" }) },
    ]
  ) {
    const error = rules.refusal("/q", "", options);
    assertInstanceOf(error, RangeError);
    assertEquals(
      error.message,
      'Cannot send to "/q": the header "x-a" is a line of 21 bytes, over decodeLimits.maxHeaderLineBytes (20), so consumers with that limit cannot decode the message; shorten it, or raise the limit here and on every consumer',
    );
  }
  assertInstanceOf(
    rules.refusal("/q", "", { contentType: "t".repeat(20) }),
    RangeError,
  );
  assertEquals(
    rules.refusal("/" + "q".repeat(20), "")?.message.includes(
      'the header "destination" is a line of 33 bytes',
    ),
    true,
  );
  // The default: what the client decodes (64 KiB).
  const defaults = new SendRules({
    maxSendBody: 1024,
    textContentLength: true,
    limits: {},
  });
  assertEquals(
    defaults.refusal("/q", "", { headers: { big: "v".repeat(65532) } }),
    undefined,
  );
  assertInstanceOf(
    defaults.refusal("/q", "", { headers: { big: "v".repeat(65533) } }),
    RangeError,
  );
});

Deno.test("StompClient send, transaction send and request refuse a header the client could not decode itself; a raised limit sends it", async () => {
  await using broker = StompTestBroker.listen();
  const reported: Error[] = [];
  await using client = await StompClient.connectUrl(broker.url, {
    onError: (error) => reported.push(error),
  });
  const big = { headers: { "x-big": "v".repeat(70_000) } };
  await assertRejects(
    () => client.send("/queue/a", "x", big),
    RangeError,
    'the header "x-big" is a line of 70006 bytes, over decodeLimits.maxHeaderLineBytes (65536)',
  );
  await assertRejects(
    () => client.send("/queue/a", "x", { ...big, receipt: true }),
    RangeError,
  );
  const tx = await client.begin();
  await assertRejects(() => tx.send("/queue/a", "x", big), RangeError);
  await assertRejects(() => client.request("/queue/a", "x", big), RangeError);
  assertEquals(reported.length, 4);
  await client.send("/queue/a", "fits", { receipt: true });
  assertEquals(broker.depth("/queue/a"), 1);

  // The test broker decodes with the default limits: it refuses it.
  const raised = await StompClient.connectUrl(broker.url, {
    decodeLimits: { maxHeaderLineBytes: 1 << 17 },
    onError: () => {},
  });
  await raised.send("/queue/b", "x", big);
  await assertRejects(() => raised.closed, Error, "Header line exceeds");
});
