// The one redaction module (src/_redact.ts): which names are secret, how a
// URL's password and secret query values are hidden, even in text that is no
// valid URL, and how known values are hidden in any text.

import { assertEquals } from "@std/assert";
import {
  isSecretName,
  redactUrl,
  redactValues,
  secretNames,
} from "../src/_redact.ts";

Deno.test("redactUrl hides the password of a URL, whatever it holds", () => {
  const cases: [string, string][] = [
    ["tcp://app:s3cr3t@127.0.0.1:61613", "tcp://app:***@127.0.0.1:61613"],
    ["tcp://app:pa/ss@h:1/x", "tcp://app:***@h:1/x"],
    ["tcp://app:p@ss@h:1", "tcp://app:***@h:1"],
    ["tcp://app:a:b@h", "tcp://app:***@h"],
    ["tcp://:pw@h", "tcp://:***@h"],
    ["tcp://guest@h:1", "tcp://guest@h:1"],
    ["tcp://h:61613", "tcp://h:61613"],
    ["wss://h/ws", "wss://h/ws"],
  ];
  for (const [input, expected] of cases) {
    assertEquals(redactUrl(input), expected, input);
    assertEquals(redactUrl(`see "${input}" now`), `see "${expected}" now`);
  }
  assertEquals(
    redactUrl(new URL("tcp://app:s3cr3t@127.0.0.1:61613")),
    "tcp://app:***@127.0.0.1:61613",
  );
});

Deno.test("redactUrl hides the password of a URL written without its scheme's //", () => {
  const cases: [string, string][] = [
    ["app:s3cr3t@127.0.0.1:61613", "app:***@127.0.0.1:61613"],
    ["app:pa/ss@w0rd@h:1", "app:***@h:1"],
    ["tcp:app:s3cr3t@h:1", "tcp:***@h:1"],
  ];
  for (const [input, expected] of cases) {
    assertEquals(redactUrl(input), expected, input);
    assertEquals(redactUrl(`in "${input}" now`), `in "${expected}" now`);
    assertEquals(redactUrl(`in '${input}'`), `in '${expected}'`);
  }
  // Only at the start of the text or of a quoted value: a header in a trace
  // line stays as it is, and so does a scheme quoted alone.
  for (
    const text of [
      ">>> SEND destination:/queue/a reply:a@b",
      'unknown scheme "app:" in',
      "app:@h:1",
      "tcp://h:1",
    ]
  ) {
    assertEquals(redactUrl(text), text);
  }
});

Deno.test("redactUrl hides each password of a failover list", () => {
  assertEquals(
    redactUrl("failover:(tcp://a:pw1@h:1,tcp://b:pw2@h:2)?randomize=false"),
    "failover:(tcp://a:***@h:1,tcp://b:***@h:2)?randomize=false",
  );
});

Deno.test("redactUrl hides the values of secret-looking query parameters", () => {
  assertEquals(
    redactUrl("wss://h/ws?access_token=abc&x=1&passcode=p"),
    "wss://h/ws?access_token=***&x=1&passcode=***",
  );
  assertEquals(redactUrl("ws://h/ws?reply=a@b"), "ws://h/ws?reply=a@b");
  assertEquals(
    redactUrl("wss://h/ws?x-mine=v", secretNames(["X-Mine"])),
    "wss://h/ws?x-mine=***",
  );
});

Deno.test("isSecretName matches by pattern, not STOMP's session header, and extra names", () => {
  for (
    const name of [
      "passcode",
      "Authorization",
      "x-auth",
      "refresh-token",
      "client_secret",
      "api-key",
      "Cookie",
      "JSESSIONID",
      "credential",
    ]
  ) {
    assertEquals(isSecretName(name), true, name);
  }
  for (const name of ["destination", "session", "login", "message-id"]) {
    assertEquals(isSecretName(name), false, name);
  }
  assertEquals(isSecretName("X-Sig", secretNames(["x-sig"])), true);
});

Deno.test("redactValues hides known values, raw and percent-encoded", () => {
  assertEquals(
    redactValues("pw pa/ss@1 and pa%2Fss%401", ["pa/ss@1", undefined, "pw"]),
    "pw *** and ***",
  );
});
