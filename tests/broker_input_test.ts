// StompTestBroker.listen given what a JavaScript test may pass: a misspelt
// option (`heartbeat` for `heartBeat`) or one string where a list is
// expected. Each is a TypeError saying what was wrong, not a broker that
// silently runs with its defaults.

import { assertEquals, assertThrows } from "@std/assert";
import {
  StompTestBroker,
  type StompTestBrokerOptions,
} from "../src/testing/mod.ts";

Deno.test("StompTestBroker.listen refuses a misspelt option, naming the closest one", () => {
  assertThrows(
    () =>
      StompTestBroker.listen(
        { heartbeat: [0, 0] } as unknown as StompTestBrokerOptions,
      ),
    TypeError,
    'Cannot start test broker: unknown option "heartbeat" (did you mean "heartBeat"?)',
  );
  assertThrows(
    () =>
      StompTestBroker.listen(
        { receipt: false } as unknown as StompTestBrokerOptions,
      ),
    TypeError,
    'Cannot start test broker: unknown option "receipt" (did you mean "receipts"?)',
  );
});

Deno.test("StompTestBroker.listen refuses versions given as one string, saying what it got", () => {
  assertThrows(
    () =>
      StompTestBroker.listen(
        { versions: "1.2" } as unknown as StompTestBrokerOptions,
      ),
    TypeError,
    'Cannot start test broker: versions must list versions among 1.0, 1.1, 1.2, got "1.2"',
  );
});

Deno.test("StompTestBroker.listen still takes every documented option", async () => {
  const all: Required<StompTestBrokerOptions> = {
    hostname: "127.0.0.1",
    port: 0,
    webSocket: false,
    login: "app",
    passcode: "secret",
    versions: ["1.2"],
    heartBeat: [0, 0],
    heartBeatGrace: 2,
    server: "test",
    eolAfterFrame: false,
    receipts: true,
    maxUnwrittenBytes: 1024,
    onFrame: () => {},
  };
  await using broker = StompTestBroker.listen(all);
  assertEquals(broker.connections, 0);
});
