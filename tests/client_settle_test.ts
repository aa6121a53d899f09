// Every operation of StompClient settles by its timeout, and at the latest
// when the client ends, with a typed error: operations pending when a
// connection is lost, when an attempt fails after CONNECTED, and when the
// client closes while it reconnects; and a MESSAGE the server sent without
// the header an ACK needs. Scripted servers over loopback TCP: no broker
// loses a connection, or leaves out a header, on cue.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
} from "@std/assert";
import {
  connected,
  encodeFrame,
  error as errorFrame,
  message,
  receipt,
  type StompFrame,
  type StompVersion,
} from "@stomper/stomp";
import {
  StompClient,
  type StompClientOptions,
  StompConnectionError,
  type StompMessage,
  StompServerError,
} from "@stomper/stomp/client";
import { eventually, within } from "./_helpers.ts";
import { RawPeer } from "./_peer.ts";

/**
 * A server that takes one connection per script, in order, then refuses
 * more (its port closes): a client that reconnects fails its later attempts.
 */
function scriptedServers(
  scripts: readonly ((peer: RawPeer) => Promise<void>)[],
): AsyncDisposable & { readonly url: string; readonly done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `tcp://127.0.0.1:${listener.addr.port}`;
  const done = (async () => {
    try {
      for (const script of scripts) {
        const conn = await listener.accept();
        await using peer = RawPeer.fromConn(conn, "the client");
        await script(peer);
      }
    } finally {
      listener.close();
    }
  })();
  done.catch(() => {});
  return {
    url,
    done,
    async [Symbol.asyncDispose]() {
      try {
        listener.close();
      } catch {
        // Closed after the last script.
      }
      await done.catch(() => {});
    },
  };
}

const QUIET: StompClientOptions = { heartBeat: [0, 0], onError: () => {} };

/** Reconnects without end (until closed), retrying every 50 ms. */
const RECONNECT = { retries: 1000, initialDelay: 50, maxDelay: 50 };

/** CONNECT, then CONNECTED for `version`. */
async function accept(peer: RawPeer, version: StompVersion = "1.2") {
  assertEquals((await peer.next()).command, "CONNECT");
  await peer.send(connected({ version }));
  peer.version = version;
}

/** Frames until `command` comes, that one included. */
async function until(peer: RawPeer, command: string): Promise<StompFrame[]> {
  const frames: StompFrame[] = [];
  while (frames.at(-1)?.command !== command) frames.push(await peer.next());
  return frames;
}

/** How the client ends while it reconnects. */
const ENDINGS = {
  "close()": (client: StompClient) => client.close(),
  "disconnect()": (client: StompClient) => {
    client.disconnect({ timeout: 100 }).catch(() => {});
  },
  "giving up": () => {},
} as const;

for (const [ending, end] of Object.entries(ENDINGS)) {
  Deno.test(`StompClient rejects subscribe({ receipt: true }) written on a connection lost before its RECEIPT once ended by ${ending} while reconnecting (scripted server)`, async () => {
    await using server = scriptedServers([async (peer) => {
      await accept(peer);
      await peer.expect("SUBSCRIBE");
      // Lost before the RECEIPT.
    }]);
    const client = await StompClient.connectUrl(server.url, {
      ...QUIET,
      reconnect: ending === "giving up"
        ? { retries: 2, initialDelay: 50, maxDelay: 50 }
        : RECONNECT,
    });
    const subscribing = client.subscribe("/queue/a", {
      receipt: true,
      timeout: 30_000,
    });
    subscribing.catch(() => {});
    await eventually(() => client.state === "reconnecting");
    end(client);
    const failure = await within(
      subscribing.then(() => undefined, (error: unknown) => error),
      3000,
      "subscribe",
    );
    assertInstanceOf(failure, StompConnectionError);
    assertEquals(client.state, "closed");
    if (ending === "giving up") {
      assertMatch(failure.message, /^Cannot reconnect: gave up after 2/);
    } else assertEquals(failure.message, "The client was closed");
    await client.closed.catch(() => {});
  });
}

Deno.test("StompClient settles every kind of operation pending at a lost connection, and those issued while reconnecting, once closed (scripted server)", async () => {
  await using server = scriptedServers([async (peer) => {
    await accept(peer);
    for (let i = 0; i < 2; i++) {
      const subscribe = await peer.expect("SUBSCRIBE");
      await peer.send(receipt(subscribe.headers.get("receipt")!));
      if (i === 0) {
        await peer.send(
          message("/queue/a", "m", {
            subscription: subscribe.headers.get("id")!,
            messageId: "m-1",
            ack: "a-1",
          }),
        );
      }
    }
    await peer.expect("BEGIN");
    // The client's operations, none answered; then the connection is lost.
    await until(peer, "COMMIT");
  }]);
  const client = await StompClient.connectUrl(server.url, {
    ...QUIET,
    reconnect: RECONNECT,
  });
  const first = await client.subscribe("/queue/a", {
    ack: "client",
    receipt: true,
  });
  const delivered = await first[Symbol.asyncIterator]().next();
  const received = delivered.value as StompMessage;
  const second = await client.subscribe("/queue/b", { receipt: true });
  const transaction = await client.begin();
  const T = { timeout: 30_000 };
  const pending: Record<string, Promise<unknown>> = {
    "subscribe": client.subscribe("/queue/c", { receipt: true, ...T }),
    "send with receipt": client.send("/queue/a", "x", { receipt: true, ...T }),
    "unsubscribe": second.unsubscribe({ receipt: true, ...T }),
    "request": client.request("/queue/rpc", "?", T),
    "ack with receipt": received.ack({ receipt: true, ...T }),
    "transaction send": transaction.send("/queue/a", "y", {
      receipt: true,
      ...T,
    }),
    "commit": transaction.commit({ receipt: true, ...T }),
  };
  for (const promise of Object.values(pending)) promise.catch(() => {});
  await eventually(() => client.state === "reconnecting");
  Object.assign(pending, {
    "subscribe while reconnecting": client.subscribe("/queue/d", {
      receipt: true,
      ...T,
    }),
    "send while reconnecting": client.send("/queue/a", "z", {
      receipt: true,
      ...T,
    }),
    "request while reconnecting": client.request("/queue/rpc", "?", T),
    "begin while reconnecting": client.begin({ receipt: true, ...T }),
    "drain": first.drain(T),
  });
  for (const promise of Object.values(pending)) promise.catch(() => {});
  client.close();
  const outcomes = await within(
    Promise.allSettled(Object.values(pending)),
    3000,
    "the operations",
  );
  const names = Object.keys(pending);
  outcomes.forEach((outcome, i) => {
    // A drain with nothing left to acknowledge may end well.
    if (names[i] === "drain" && outcome.status === "fulfilled") return;
    assert(outcome.status === "rejected", `${names[i]} resolved`);
    assertInstanceOf(outcome.reason, StompConnectionError, names[i]);
  });
  await client.closed.catch(() => {});
});

Deno.test("StompClient rejects the operations of a transaction lost with its connection with StompConnectionError, the loss as cause (scripted server)", async () => {
  await using server = scriptedServers([async (peer) => {
    await accept(peer);
    await peer.expect("BEGIN");
    // Closed: the broker aborts the transaction.
  }]);
  const client = await StompClient.connectUrl(server.url, {
    ...QUIET,
    reconnect: RECONNECT,
  });
  const transaction = await client.begin();
  await eventually(() => client.state === "reconnecting");
  assertEquals(transaction.state, "aborted");
  for (
    const operation of [
      () => transaction.send("/queue/a", "x"),
      () => transaction.commit(),
      () => transaction.abort(),
    ]
  ) {
    const failure = await assertRejects(
      operation,
      StompConnectionError,
      'transaction "tx-1": it was lost with its connection',
    );
    assertInstanceOf(failure.cause, StompConnectionError);
    assertEquals(failure.cause.message, "The server closed the connection");
  }
  client.close();
  await client.closed.catch(() => {});
});

Deno.test("StompClient rejects a second commit of a transaction the caller committed with TypeError, even once its connection is lost (scripted server)", async () => {
  await using server = scriptedServers([async (peer) => {
    await accept(peer);
    await until(peer, "COMMIT");
  }]);
  const client = await StompClient.connectUrl(server.url, {
    ...QUIET,
    reconnect: RECONNECT,
  });
  const transaction = await client.begin();
  await transaction.commit();
  await eventually(() => client.state === "reconnecting");
  assertEquals(transaction.state, "committed");
  await assertRejects(
    () => transaction.commit(),
    TypeError,
    "it was committed already",
  );
  client.close();
  await client.closed.catch(() => {});
});

Deno.test("StompClient rejects a transaction begun while reconnecting with StompConnectionError when the attempt fails after CONNECTED (scripted server)", async () => {
  const refusal = encodeFrame(errorFrame("Bad CONNECT", "after all"), {
    version: "1.2",
  });
  const frames: string[] = [];
  await using server = scriptedServers([
    async (peer) => {
      await accept(peer);
      // Lost at once.
    },
    async (peer) => {
      assertEquals((await peer.next()).command, "CONNECT");
      // CONNECTED and an ERROR in one write: the attempt fails.
      const hello = encodeFrame(connected({ version: "1.2" }), {
        version: "1.2",
      });
      const both = new Uint8Array(hello.length + refusal.length);
      both.set(hello);
      both.set(refusal, hello.length);
      await peer.send(both);
    },
    async (peer) => {
      await accept(peer);
      while (true) {
        try {
          frames.push((await peer.next(5000)).command);
        } catch {
          return;
        }
      }
    },
  ]);
  const states: string[] = [];
  const client = await StompClient.connectUrl(server.url, {
    ...QUIET,
    reconnect: RECONNECT,
    onStateChange: ({ state }) => states.push(state),
  });
  await eventually(() => client.state === "reconnecting");
  const transaction = await client.begin();
  await eventually(() => states.filter((s) => s === "connected").length === 2);
  assertEquals(transaction.state, "aborted");
  const failure = await assertRejects(
    () => transaction.send("/queue/a", "x"),
    StompConnectionError,
    'Cannot send in transaction "tx-1": it was lost with its connection',
  );
  assertInstanceOf(failure.cause, StompConnectionError);
  assertInstanceOf(failure.cause.cause, StompServerError);
  await assertRejects(() => transaction.commit(), StompConnectionError);
  // A new transaction goes out on the new connection.
  const next = await client.begin({ receipt: false });
  await next.send("/queue/a", "y");
  await client.disconnect({ timeout: 100 }).catch(() => {});
  assertEquals(frames.filter((f) => f === "BEGIN").length, 1);
});

/** MESSAGE headers a server may leave out, and what ack() must say. */
const FAULTS: {
  version: StompVersion;
  headers: Record<string, string>;
  command: "ack" | "nack";
  named: string;
}[] = [
  {
    version: "1.2",
    headers: { "message-id": "m-1" },
    command: "ack",
    named: 'no "ack" header, which STOMP 1.2 needs',
  },
  {
    version: "1.2",
    headers: { "message-id": "m-1", ack: "" },
    command: "nack",
    named: 'an empty "ack" header, which STOMP 1.2 needs',
  },
  {
    version: "1.1",
    headers: {},
    command: "ack",
    named: 'no "message-id" header, which STOMP 1.1 needs',
  },
  {
    version: "1.0",
    headers: { "message-id": "" },
    command: "ack",
    named: 'an empty "message-id" header, which STOMP 1.0 needs',
  },
];

for (const fault of FAULTS) {
  Deno.test(`StompClient rejects ${fault.command}() of a STOMP ${fault.version} MESSAGE sent with ${fault.named.split(",")[0]} with StompConnectionError (scripted server)`, async () => {
    await using server = scriptedServers([async (peer) => {
      await accept(peer, fault.version);
      const subscribe = await peer.expect("SUBSCRIBE");
      const frame = encodeFrame({
        command: "MESSAGE",
        headers: [
          ["destination", "/queue/a"],
          ["subscription", subscribe.headers.get("id")!],
          ...Object.entries(fault.headers),
        ],
        body: "hi",
      }, { version: fault.version });
      await peer.send(frame);
      // Nothing else may come: no ACK is written.
      await peer.expectNothing(200).catch(() => {});
      await until(peer, "DISCONNECT").catch(() => {});
    }]);
    const errors: Error[] = [];
    const client = await StompClient.connectUrl(server.url, {
      ...QUIET,
      onError: (error) => errors.push(error),
    });
    const subscription = await client.subscribe("/queue/a", { ack: "client" });
    const delivered = await subscription[Symbol.asyncIterator]().next();
    const received = delivered.value as StompMessage;
    for (const receipt of [false, true]) {
      await assertRejects(
        () => received[fault.command]({ receipt }),
        StompConnectionError,
        `: the server sent it with ${fault.named} (a protocol violation)`,
      );
    }
    assertEquals(client.state, "connected");
    assert(errors.every((e) => e instanceof StompConnectionError));
    client.close();
    await client.closed.catch(() => {});
  });
}

for (const version of ["1.0", "1.1", "1.2"] as const) {
  for (const bodyChunks of [false, true]) {
    Deno.test(
      `StompClient.connectUrl rejects with the first of two ERRORs that follow CONNECTED, the first in its write (STOMP ${version}${
        bodyChunks ? ", bodyChunks" : ""
      }, scripted server)`,
      async () => {
        const frame = (text: string) =>
          encodeFrame(errorFrame(text, "Reason: {shutdown,\n{x,"), { version });
        await using server = scriptedServers([async (peer) => {
          assertEquals((await peer.next()).command, "CONNECT");
          const hello = encodeFrame(
            connected({ version, heartBeat: [0, 20] }),
            { version },
          );
          const first = frame("Bad CONNECT 461");
          const both = new Uint8Array(hello.length + first.length);
          both.set(hello);
          both.set(first, hello.length);
          await peer.send(both);
          await peer.send(frame("Bad CONNECT 881")).catch(() => {});
        }]);
        const failure = await assertRejects(
          () =>
            StompClient.connectUrl(server.url, {
              ...QUIET,
              heartBeat: [20, 20],
              bodyChunks,
            }),
          StompServerError,
        );
        assertMatch(failure.message, /^Bad CONNECT 461: Reason/);
      },
    );
  }
}
