// No secret anywhere: a passcode (and a secret header) fed through every path
// the library reports on (bad URLs, refused connections, beforeConnect, the
// trace, stats, state changes and errors) never appears in what it reports.
// Real sockets and the in-process test broker throughout.

import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  type ConnectAttempt,
  formatTraceEvent,
  redactFrame,
  StompClient,
  type StompStateChange,
  type StompTraceEvent,
} from "@stomper/stomp/client";
import {
  connectTcp,
  connectWebSocket,
  fromConn,
  openTransport,
  TransportConnectError,
} from "@stomper/stomp/transports";
import { StompTestBroker } from "@stomper/stomp/testing";
import { StompFrame } from "@stomper/stomp";

// Passwords as users write them, `/`, `@` and `:` included.
const SECRETS = ["s3cr3tPW", "pa/ss@w0rd", "to:ken@@x"];

/** Everything a user might print of a value: inspect follows causes. */
function shown(value: unknown): string {
  return Deno.inspect(value, { depth: 8, colors: false }) +
    (value instanceof Error ? `${value.stack ?? ""}${String(value)}` : "") +
    (typeof value === "object" && value !== null && "url" in value
      ? String((value as { url: unknown }).url)
      : "");
}

function assertNoSecret(value: unknown, secret: string, where: string): void {
  const text = shown(value);
  assert(
    !text.includes(secret) && !text.includes(encodeURIComponent(secret)),
    `${where} shows the secret ${JSON.stringify(secret)}:\n${text}`,
  );
}

/** A loopback port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** `secret` encoded as a URL's password. */
function userinfo(secret: string): string {
  return `app:${encodeURIComponent(secret)}`;
}

Deno.test("StompClient.connectUrl hides the passcode in the TypeError of a bad URL", async () => {
  for (const secret of SECRETS) {
    const raw = `app:${secret}`; // as typed, not encoded
    const inputs = [
      `tcp://${raw}@127.0.0.1:notaport`,
      `tcp://${userinfo(secret)}@127.0.0.1:99999`,
      `nope://${userinfo(secret)}@127.0.0.1:61613`,
      `failover:(tcp://${userinfo(secret)}@127.0.0.1:1)?maxReconnectAttempts=3`,
      `failover:(tcp://${userinfo(secret)}@127.0.0.1:1,bad://x:${secret}@h)`,
      [`tcp://127.0.0.1:1`, `ftp://${raw}@127.0.0.1:1`],
      `${userinfo(secret)}@127.0.0.1:61613`, // tcp:// left out
    ];
    for (const input of inputs) {
      const error = await assertRejects(() =>
        StompClient.connectUrl(input, { reconnect: true })
      );
      assert(error instanceof TypeError, `${input}: ${error}`);
      assertNoSecret(error, secret, `connectUrl(${JSON.stringify(input)})`);
    }
  }
});

Deno.test("openTransport and connectTcp hide the passcode in errors and TransportConnectError.url", async () => {
  const port = closedPort();
  for (const secret of SECRETS) {
    const url = `tcp://${userinfo(secret)}@127.0.0.1:${port}`;
    const refused = await assertRejects(
      () => openTransport(url),
      TransportConnectError,
    );
    assertNoSecret(refused, secret, "openTransport refused");
    assert(refused.url.includes("127.0.0.1"), refused.url);
    const direct = await assertRejects(
      () => connectTcp(url),
      TransportConnectError,
    );
    assertNoSecret(direct, secret, "connectTcp refused");
    const ws = await assertRejects(
      () => connectWebSocket(`ws://${userinfo(secret)}@127.0.0.1:${port}/ws`),
      TransportConnectError,
    );
    assertNoSecret(ws, secret, "connectWebSocket refused");
    for (
      const bad of [
        `tcp://app:${secret}@127.0.0.1:x`,
        `ws://app:${secret}@127.0.0.1:x/ws`,
        `nope://${userinfo(secret)}@127.0.0.1:1`,
        `${userinfo(secret)}@127.0.0.1:1`,
      ]
    ) {
      assertNoSecret(
        await assertRejects(() => openTransport(bad)),
        secret,
        `openTransport(${bad})`,
      );
      if (bad.startsWith("ws:")) {
        assertNoSecret(
          await assertRejects(() => connectWebSocket(bad)),
          secret,
          `connectWebSocket(${bad})`,
        );
      }
    }
  }
});

Deno.test("StompClient reports refused connections, state changes and errors without the passcode", async () => {
  const port = closedPort();
  for (const secret of SECRETS) {
    const url = `tcp://${userinfo(secret)}@127.0.0.1:${port}`;
    const rejected = await assertRejects(() => StompClient.connectUrl(url));
    assertNoSecret(rejected, secret, "connectUrl refused");

    const seen: unknown[] = [];
    const error = await assertRejects(() =>
      StompClient.connectUrl(url, {
        connectTimeout: 2000,
        reconnect: {
          initialDelay: 1,
          maxDelay: 2,
          jitter: 0,
          retries: 2,
          onFailedAttempt: (e) => seen.push(e),
        },
        onStateChange: (change) => seen.push(change),
        onError: (e) => seen.push(e),
      })
    );
    assertNoSecret(error, secret, "connectUrl after retries");
    assert(seen.length > 0);
    assertNoSecret(seen, secret, "attempt failures, state changes, errors");
  }
});

Deno.test("StompClient with a beforeConnect URL holding credentials reports it without them, and uses them to log in", async () => {
  const secret = SECRETS[1]!;
  await using broker = StompTestBroker.listen({
    login: "app",
    passcode: secret,
  });
  const attempts: ConnectAttempt[] = [];
  const changes: StompStateChange[] = [];
  await using client = await StompClient.connect(
    async (attempt) => {
      attempts.push(attempt);
      return fromConn(
        await Deno.connect({ hostname: "127.0.0.1", port: broker.port }),
      );
    },
    {
      beforeConnect: () => ({
        url: `tcp://${userinfo(secret)}@127.0.0.1:${broker.port}`,
      }),
      onStateChange: (change) => changes.push(change),
    },
  );
  assertEquals(client.state, "connected");
  assertEquals(attempts[0]?.url?.port, String(broker.port));
  assertNoSecret(attempts, secret, "ConnectAttempt");
  assertNoSecret(client.url, secret, "client.url");
  assertNoSecret(changes, secret, "state changes");
  assertNoSecret(client.stats, secret, "stats");
});

Deno.test("StompClient hides the passcode of a bad beforeConnect URL", async () => {
  await using broker = StompTestBroker.listen();
  for (const secret of SECRETS) {
    for (
      const url of [
        `tcp://app:${secret}@127.0.0.1:port`,
        `nope://${userinfo(secret)}@127.0.0.1:1`,
        `${userinfo(secret)}@127.0.0.1:1`,
      ]
    ) {
      const error = await assertRejects(() =>
        StompClient.connectUrl(broker.url, { beforeConnect: () => ({ url }) })
      );
      assertNoSecret(error, secret, `beforeConnect url ${url}`);
    }
  }
});

Deno.test("StompClient trace masks secret headers by name, by pattern and by the redactHeaders option", async () => {
  const secret = SECRETS[0]!;
  await using broker = StompTestBroker.listen({
    login: "app",
    passcode: secret,
  });
  const events: StompTraceEvent[] = [];
  await using client = await StompClient.connectUrl(
    `tcp://${userinfo(secret)}@127.0.0.1:${broker.port}`,
    { trace: (event) => events.push(event), redactHeaders: ["X-Mine"] },
  );
  await client.send("/queue/q", "body", {
    receipt: true,
    headers: {
      "x-auth": secret,
      "api-token": secret,
      "jsessionid": secret,
      "x-mine": secret,
      "x-plain": "visible",
    },
  });
  const lines = events.map(formatTraceEvent);
  assertNoSecret(lines, secret, "trace lines");
  assertNoSecret(events, secret, "trace events");
  const send = lines.find((line) => line.startsWith(">>> SEND"));
  assert(send?.includes("x-plain:visible"), send);
  assert(send?.includes("x-auth:***"), send);
  assert(send?.includes("x-mine:***"), send);
  assertNoSecret(client.stats, secret, "stats");
});

Deno.test("redactFrame masks headers whose names contain auth, token, secret, pass, key, cookie, session or credential", () => {
  const names = [
    "passcode",
    "Authorization",
    "x-auth",
    "refresh-token",
    "client-secret",
    "password",
    "api-key",
    "Set-Cookie",
    "session-id",
    "credentials",
  ];
  const frame = new StompFrame(
    "SEND",
    [...names.map((name) => [name, "v4lue"]), ["destination", "/queue/a"]] as [
      string,
      string,
    ][],
  );
  const shownFrame = redactFrame(frame);
  for (const name of names) {
    assertEquals(shownFrame.headers.get(name), "***", name);
  }
  assertEquals(shownFrame.headers.get("destination"), "/queue/a");
  assertEquals(
    redactFrame(
      new StompFrame("SEND", { "x-extra": "v" }),
      ["X-EXTRA"],
    ).headers.get("x-extra"),
    "***",
  );
});
