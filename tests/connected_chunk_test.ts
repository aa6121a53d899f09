// What the client makes of frames that come with CONNECTED, in the same
// chunk or right behind it: an ERROR, a second CONNECTED, bytes that do not
// parse. Each is delivered by a scripted server over loopback TCP (no real
// broker sends these) in one write, byte by byte and in seeded random
// splits; each must end the attempt (or, when the client was connected
// before the rest arrived, the connection) with the real cause, never with
// an error about the client's own state.

import { assert, assertEquals, assertInstanceOf, fail } from "@std/assert";
import { connected, encodeFrame, error, receipt } from "@stomper/stomp";
import {
  StompClient,
  StompConnectionError,
  StompServerError,
} from "@stomper/stomp/client";
import { prng, within } from "./_helpers.ts";
import { RawPeer } from "./_peer.ts";

const utf8 = new TextEncoder();

function join(...parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

const CONNECTED = encodeFrame(connected({ version: "1.2" }), {
  version: "1.2",
});

/** A frame after CONNECTED, and how the client must name it. */
interface Case {
  readonly what: string;
  readonly after: Uint8Array;
  /** Checks what `connect` rejected with. */
  readonly refused: (error: unknown) => void;
  /** Text of the real cause, somewhere in the chain of the error. */
  readonly cause: string;
}

const CASES: readonly Case[] = [
  {
    what: "an ERROR",
    after: encodeFrame(error("Maintenance", "shutting down"), {
      version: "1.2",
    }),
    refused: (thrown) => {
      assertInstanceOf(thrown, StompServerError);
      assertEquals(thrown.message, "Maintenance: shutting down");
    },
    cause: "Maintenance: shutting down",
  },
  {
    what: "a second CONNECTED",
    after: CONNECTED,
    refused: (thrown) => {
      assertInstanceOf(thrown, StompConnectionError);
      assertEquals(
        thrown.message,
        "Protocol violation: the server sent a second CONNECTED frame",
      );
    },
    cause: "second CONNECTED frame",
  },
  {
    what: "an unparseable frame",
    after: utf8.encode("BOGUS\nx:1\n\n\0"),
    refused: (thrown) => {
      assertInstanceOf(thrown, StompConnectionError);
      assertEquals(
        thrown.message,
        `Cannot connect: the server sent an unparseable frame after CONNECTED: Unknown command "BOGUS" at byte ${CONNECTED.length}`,
      );
      assertInstanceOf(thrown.cause, SyntaxError);
    },
    cause: 'Unknown command "BOGUS"',
  },
];

/** How the scripted server writes the bytes. */
interface Delivery {
  readonly name: string;
  /** Whether CONNECTED and what follows surely reach the client together. */
  readonly together: boolean;
  readonly write: (peer: RawPeer, bytes: Uint8Array) => Promise<void>;
}

const WHOLE: Delivery = {
  name: "in one write",
  together: true,
  write: (peer, bytes) => peer.send(bytes),
};

const BYTE_BY_BYTE: Delivery = {
  name: "byte by byte",
  together: false,
  write: async (peer, bytes) => {
    for (let i = 0; i < bytes.length; i++) {
      await peer.send(bytes.subarray(i, i + 1));
    }
  },
};

function randomSplits(seed: number): Delivery {
  return {
    name: `in random splits (seed ${seed})`,
    together: false,
    write: async (peer, bytes) => {
      const random = prng(seed);
      let at = 0;
      while (at < bytes.length) {
        const end = Math.min(bytes.length, at + 1 + Math.floor(random() * 24));
        await peer.send(bytes.subarray(at, end));
        at = end;
      }
    },
  };
}

/**
 * A loopback server that runs `script` with each connection (the first is
 * number 1) and closes it when the script returns.
 */
function scriptedServers(
  script: (peer: RawPeer, number: number) => Promise<void>,
): { url: string; connections: () => number } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sessions: Promise<void>[] = [];
  let count = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      const number = ++count;
      const peer = RawPeer.fromConn(conn, "the client");
      sessions.push(
        (async () => {
          try {
            await script(peer, number);
          } catch {
            // The client went away first.
          } finally {
            await peer[Symbol.asyncDispose]();
          }
        })(),
      );
    }
  })();
  accepting.catch(() => {});
  return {
    url: `tcp://127.0.0.1:${listener.addr.port}`,
    connections: () => count,
    async [Symbol.asyncDispose]() {
      try {
        listener.close();
      } catch {
        // Closed already.
      }
      await accepting.catch(() => {});
      await Promise.all(sessions);
    },
  };
}

/** The messages of `error` and of its causes, outermost first. */
function chain(error: unknown): string[] {
  const messages: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) messages.push(e.message);
  return messages;
}

function assertRealCause(error: unknown, cause: string, context: string) {
  const messages = chain(error);
  assert(
    messages.some((message) => message.includes(cause)),
    `${context}: expected ${JSON.stringify(cause)} in ${
      JSON.stringify(messages)
    }`,
  );
  assert(
    !messages.some((message) => message.includes("the session is")),
    `${context}: an error about the client's own state: ${
      JSON.stringify(messages)
    }`,
  );
}

/**
 * Connects to a server that answers CONNECT with CONNECTED and `after`,
 * written as `delivery` says; checks the outcome.
 */
async function check(c: Case, delivery: Delivery): Promise<void> {
  const context = `${c.what} ${delivery.name}`;
  await using server = scriptedServers(async (peer) => {
    await peer.expect("CONNECT");
    await delivery.write(peer, join(CONNECTED, c.after));
    await peer.end(5000);
  });
  const reported: Error[] = [];
  let client: StompClient;
  try {
    client = await within(
      StompClient.connectUrl(server.url, {
        heartBeat: [0, 0],
        onError: (e) => reported.push(e),
      }),
      5000,
      `connect (${context})`,
    );
  } catch (thrown) {
    c.refused(thrown);
    assertRealCause(thrown, c.cause, context);
    return;
  }
  // Only when the rest came in a later read may the client have been
  // connected first; the loss then carries the cause.
  if (delivery.together) fail(`${context}: connect resolved`);
  const closed = await within(
    client.closed.then(() => undefined, (e: unknown) => e),
    5000,
    `closed (${context})`,
  );
  assertRealCause(closed, c.cause, context);
  assert(reported.length > 0, `${context}: nothing reached onError`);
  for (const e of reported) assertRealCause(e, c.cause, context);
}

for (const c of CASES) {
  Deno.test(`StompClient fails connect with the cause when a scripted server sends ${c.what} in the same write as CONNECTED`, async () => {
    await check(c, WHOLE);
  });

  Deno.test(`StompClient ends with the cause when a scripted server sends CONNECTED then ${c.what} byte by byte`, async () => {
    await check(c, BYTE_BY_BYTE);
  });

  Deno.test(`StompClient ends with the cause when a scripted server sends CONNECTED then ${c.what} in random splits`, async () => {
    for (const seed of [1, 2, 3, 4, 5]) await check(c, randomSplits(seed));
  });

  Deno.test(`StompClient with reconnect gives each attempt the cause when a scripted server sends ${c.what} with every CONNECTED`, async () => {
    await using server = scriptedServers(async (peer) => {
      await peer.expect("CONNECT");
      await peer.send(join(CONNECTED, c.after));
      await peer.end(5000);
    });
    const failed: [Error, number][] = [];
    let thrown: unknown;
    try {
      await within(
        StompClient.connectUrl(server.url, {
          heartBeat: [0, 0],
          reconnect: {
            retries: 2,
            initialDelay: 1,
            maxDelay: 1,
            onFailedAttempt: (e, attempt) => failed.push([e, attempt]),
          },
        }),
        5000,
        "connect",
      );
    } catch (e) {
      thrown = e;
    }
    assertInstanceOf(thrown, StompConnectionError);
    // The last attempt's reason is in the message too.
    assertEquals(
      thrown.message,
      `Cannot connect: gave up after 2 retries; last error: ${
        (thrown.cause as Error).message
      }`,
    );
    c.refused(thrown.cause);
    assertEquals(failed.map(([, attempt]) => attempt), [1, 2, 3]);
    for (const [e] of failed) c.refused(e);
    assertEquals(server.connections(), 3);
  });
}

Deno.test("StompClient with reconnect gives each reconnection attempt the cause when a scripted server sends an ERROR with CONNECTED and a subscription waits to be restored", async () => {
  await using server = scriptedServers(async (peer, number) => {
    await peer.expect("CONNECT");
    if (number > 1) {
      await peer.send(join(CONNECTED, CASES[0]!.after));
      await peer.end(5000);
      return;
    }
    await peer.send(CONNECTED);
    const subscribe = await peer.expect("SUBSCRIBE");
    await peer.send(receipt(subscribe.headers.get("receipt")!));
    // Then the server goes away: the client reconnects.
  });
  const failed: [Error, number][] = [];
  const reported: Error[] = [];
  const client = await StompClient.connectUrl(server.url, {
    heartBeat: [0, 0],
    onError: (e) => reported.push(e),
    reconnect: {
      retries: 2,
      initialDelay: 1,
      maxDelay: 1,
      onFailedAttempt: (e, attempt) => failed.push([e, attempt]),
    },
  });
  await client.subscribe("/queue/restored", { receipt: true });
  const closed = await within(
    client.closed.then(() => undefined, (e: unknown) => e),
    5000,
    "closed",
  );
  assertInstanceOf(closed, StompConnectionError);
  assertEquals(
    closed.message,
    `Cannot reconnect: gave up after 2 retries; last error: ${
      (closed.cause as Error).message
    }`,
  );
  CASES[0]!.refused(closed.cause);
  assertEquals(failed.map(([, attempt]) => attempt), [1, 2]);
  for (const [e] of failed) CASES[0]!.refused(e);
  for (const e of reported) {
    assert(
      !e.message.includes("the session is"),
      `reported: ${e.message}`,
    );
  }
});
