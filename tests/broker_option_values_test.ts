// StompTestBroker.listen given option values of the wrong type or form, as
// a JavaScript test may pass them: each is refused when the broker starts,
// with a TypeError naming the option and saying what it got, rather than a
// broker that refuses every CONNECT ("Malformed frame" for a `server` it
// cannot write, "Access refused" for a numeric `login`), advertises a
// WebSocket URL that does not parse, or ignores the value.

import { assertThrows } from "@std/assert";
import {
  StompTestBroker,
  type StompTestBrokerOptions,
} from "../src/testing/mod.ts";

function refused(options: Record<string, unknown>, message: string): void {
  assertThrows(
    () => StompTestBroker.listen(options as StompTestBrokerOptions),
    TypeError,
    message,
  );
}

Deno.test("StompTestBroker.listen refuses a server header that CONNECTED cannot carry", () => {
  refused(
    { server: "" },
    "Cannot start test broker: server must be a non-empty string without CR, LF or NUL (CONNECTED's headers are never escaped), got an empty string",
  );
  refused(
    { server: "a\nb" },
    'Cannot start test broker: server must be a non-empty string without CR, LF or NUL (CONNECTED\'s headers are never escaped), got "a\\nb"',
  );
  refused(
    { server: 5 },
    "Cannot start test broker: server must be a non-empty string without CR, LF or NUL (CONNECTED's headers are never escaped), got a number",
  );
});

Deno.test("StompTestBroker.listen refuses a login or passcode that is not a string, never showing it", () => {
  refused(
    { login: 5, passcode: "x" },
    "Cannot start test broker: login must be a string, got a number",
  );
  refused(
    { login: "app", passcode: 1234 },
    "Cannot start test broker: passcode must be a string, got a number",
  );
});

Deno.test("StompTestBroker.listen refuses receipts, eolAfterFrame and onFrame of the wrong type", () => {
  refused(
    { receipts: "no" },
    "Cannot start test broker: receipts must be a boolean, got a string",
  );
  refused(
    { eolAfterFrame: 1 },
    "Cannot start test broker: eolAfterFrame must be a boolean, got a number",
  );
  refused(
    { onFrame: "log" },
    "Cannot start test broker: onFrame must be a function, got a string",
  );
});

Deno.test("StompTestBroker.listen refuses a WebSocket path that does not start with a slash", () => {
  refused(
    { webSocket: { path: "ws" } },
    'Cannot start test broker: webSocket.path must start with "/", got "ws"',
  );
  refused(
    { webSocket: "yes" },
    "Cannot start test broker: webSocket must be a boolean or { port, path }, got a string",
  );
});
