// A misspelt transport option (from JavaScript, or through a loosely typed
// config) is refused before anything is opened, naming the option meant; it
// used to be ignored, leaving the limit it meant to set at its default.

import { assertRejects } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { openTransport } from "@stomper/stomp/transports";

type Loose = Record<string, unknown>;

Deno.test("openTransport refuses an unknown option, naming the one meant", async () => {
  await assertRejects(
    () => openTransport("ws://127.0.0.1:9/ws", { maxUnreadByte: 1 } as Loose),
    TypeError,
    'Cannot open transport: unknown option "maxUnreadByte" (did you mean "maxUnreadBytes"?)',
  );
  await assertRejects(
    () => openTransport("tcp://127.0.0.1:9", { readBuffer: 1 } as Loose),
    TypeError,
    'unknown option "readBuffer" (did you mean "readBufferSize"?)',
  );
});

Deno.test("StompClient.connectUrl refuses an unknown transport option at once", async () => {
  await assertRejects(
    () =>
      StompClient.connectUrl("ws://127.0.0.1:9/ws", {
        transport: { maxMessageByte: 65536 } as Loose,
        connectTimeout: 60_000,
      }),
    TypeError,
    'unknown option "maxMessageByte" (did you mean "maxMessageBytes"?)',
  );
});
