// The guard around the option callbacks (src/client/_hooks.ts): what a
// callback throws, or the promise it returns rejects with, is counted and
// reaches onError as a StompCallbackError naming it; what onError throws, or
// a failure with no onError, is written once with console.error (stubbed
// here to read it; the subprocess tests in integration/client_hooks_test.ts
// read the real stderr). And the client with such callbacks, against the
// test broker and a scripted server: events carry the client, a throwing
// onUnhandledMessage leaves the connection up.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
} from "@std/assert";
import { connected, message, receipt } from "@stomper/stomp";
import {
  StompCallbackError,
  StompClient,
  type StompStateChange,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { Hooks } from "../src/client/_hooks.ts";
import { eventually, within } from "./_helpers.ts";
import { scriptedServer } from "./_peer.ts";

/** Runs `use` with console.error stubbed; returns what it was given. */
async function consoleErrors(use: () => Promise<void> | void) {
  const lines: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => lines.push(args);
  try {
    await use();
  } finally {
    console.error = original;
  }
  return lines;
}

/** Lets promise callbacks and a timer turn run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("Hooks reports a throwing callback to onError as a StompCallbackError naming it, and counts it", () => {
  const reported: Error[] = [];
  const counter = { callbackErrors: 0 };
  const hooks = new Hooks((error) => reported.push(error), counter);
  const thrown = new TypeError("Bad state");
  hooks.call("onStateChange", () => {
    throw thrown;
  }, undefined);
  hooks.call2(
    "reconnect.onFailedAttempt",
    (a: number, b: number) => {
      assertEquals([a, b], [1, 2]);
    },
    1,
    2,
  );
  assertEquals(counter.callbackErrors, 1);
  assertEquals(reported.length, 1);
  const error = reported[0]!;
  assertInstanceOf(error, StompCallbackError);
  assertEquals(error.hook, "onStateChange");
  assertStrictEquals(error.cause, thrown);
  assertEquals(error.message, "Callback onStateChange threw: Bad state");
});

Deno.test("Hooks reports the rejection of a callback's promise, and of a thenable whose then throws", async () => {
  const reported: StompCallbackError[] = [];
  const counter = { callbackErrors: 0 };
  const hooks = new Hooks(
    (error) => reported.push(error as StompCallbackError),
    counter,
  );
  hooks.call("trace", async () => {
    await Promise.resolve();
    throw new Error("Later");
  }, undefined);
  hooks.call("onUnhandledMessage", () => ({
    get then() {
      throw new Error("Hostile then");
    },
  }), undefined);
  hooks.call("trace", () => Promise.resolve("fine"), undefined);
  await settle();
  assertEquals(
    reported.map((error) => [error.hook, (error.cause as Error).message]),
    [["onUnhandledMessage", "Hostile then"], ["trace", "Later"]],
  );
  assertEquals(counter.callbackErrors, 2);
});

Deno.test("Hooks writes one console.error line when onError throws, however often, and counts each (console.error stubbed)", async () => {
  const counter = { callbackErrors: 0 };
  let calls = 0;
  const lines = await consoleErrors(async () => {
    const hooks = new Hooks(() => {
      calls++;
      throw new Error("Broken\nonError");
    }, counter);
    hooks.error(new Error("First"));
    hooks.call("trace", () => {
      throw new Error("Broken trace");
    }, undefined);
    hooks.error(new Error("Third"));
    await settle();
  });
  assertEquals(calls, 3);
  // The trace's failure and the three of onError.
  assertEquals(counter.callbackErrors, 4);
  assertEquals(lines, [[
    "stomper: Callback onError threw: Broken onError (the client goes on; later callback errors are only counted in stats.callbackErrors)",
  ]]);
});

Deno.test("Hooks without onError writes one console.error line for the first failing callback (console.error stubbed)", async () => {
  const counter = { callbackErrors: 0 };
  const lines = await consoleErrors(async () => {
    const hooks = new Hooks(undefined, counter);
    for (let i = 0; i < 3; i++) {
      hooks.call("trace", async () => {
        await Promise.resolve();
        throw new Error(`Failure ${i}`);
      }, undefined);
    }
    // Errors of the client itself are not callbacks' failures.
    hooks.error(new Error("Connection lost"));
    await settle();
  });
  assertEquals(counter.callbackErrors, 3);
  assertEquals(lines.length, 1);
  assert(
    String(lines[0]![0]).startsWith(
      "stomper: Callback trace threw: Failure 0 (",
    ),
  );
});

Deno.test("StompClient onStateChange events carry the client, the first before connectUrl resolves", async () => {
  await using broker = StompTestBroker.listen();
  const changes: StompStateChange[] = [];
  const seen: string[] = [];
  const client = await StompClient.connectUrl(broker.url, {
    heartBeat: [0, 0],
    onStateChange: (change) => {
      changes.push(change);
      seen.push(change.client.state);
    },
  });
  await client.disconnect();
  assertEquals(
    changes.map((change) => change.state),
    ["connected", "disconnecting", "closed"],
  );
  for (const change of changes) assertStrictEquals(change.client, client);
  assertEquals(seen, ["connected", "disconnecting", "closed"]);
  assertEquals(client.stats.callbackErrors, 0);
});

Deno.test("StompClient onUnhandledMessage that throws on a scripted server's hostile body is reported and the connection goes on", async () => {
  await using server = scriptedServer(async (peer) => {
    await peer.expect("CONNECT");
    await peer.send(connected({ version: "1.2" }));
    await peer.send(
      message("/queue/x", "{not json", {
        subscription: "never-made",
        messageId: "m-1",
      }),
    );
    const subscribe = await peer.expect("SUBSCRIBE");
    await peer.send(receipt(subscribe.headers.get("receipt")!));
    await peer.send(
      message("/queue/a", '{"ok":true}', {
        subscription: subscribe.headers.get("id")!,
        messageId: "m-2",
      }),
    );
    const bye = await peer.expect("DISCONNECT");
    await peer.send(receipt(bye.headers.get("receipt")!));
  });
  const reported: Error[] = [];
  const client = await StompClient.connectUrl(server.url, {
    heartBeat: [0, 0],
    onUnhandledMessage: (frame) => JSON.parse(frame.text),
    onError: (error) => reported.push(error),
  });
  await eventually(() => client.stats.unhandled === 1);
  const subscription = await client.subscribe("/queue/a");
  const next = await within(
    subscription[Symbol.asyncIterator]().next(),
    2000,
    "the message after the hostile one",
  );
  assertEquals(next.value?.text, '{"ok":true}');
  assertEquals(client.state, "connected");
  await client.disconnect();
  assertEquals(reported.length, 1);
  const error = reported[0]!;
  assertInstanceOf(error, StompCallbackError);
  assertEquals(error.hook, "onUnhandledMessage");
  assertInstanceOf(error.cause, SyntaxError);
  assertEquals(client.stats.callbackErrors, 1);
});
