// StompSession alone: frames in, frames and events out, no I/O.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertThrows,
} from "@std/assert";
import {
  connected,
  error,
  message,
  receipt,
  StompFrame,
  type StompVersion,
} from "@stomper/stomp";
import {
  negotiateHeartBeat,
  StompConnectionError,
  StompServerError,
  StompSession,
  type StompSessionOptions,
} from "@stomper/stomp/client";

/** A session past CONNECTED, at the given version. */
function open(
  version: StompVersion | "none" = "1.2",
  options: StompSessionOptions = {},
): StompSession {
  const session = new StompSession({ heartBeat: [0, 0], ...options });
  session.connectFrame();
  const event = session.receive(
    connected(version === "none" ? {} : { version }),
  );
  assertEquals(event.type, "connected");
  return session;
}

function headers(frame: StompFrame): [string, string][] {
  return [...frame.headers];
}

Deno.test("StompSession.connectFrame() builds CONNECT from the options", () => {
  const session = new StompSession({
    login: "guest",
    passcode: "secret",
    host: "vhost-a",
    acceptVersion: ["1.1", "1.2"],
    heartBeat: [4000, 6000],
    headers: { "client-id": "c-1" },
  });
  assertEquals(session.state, "idle");
  const frame = session.connectFrame();
  assertEquals(frame.command, "CONNECT");
  assertEquals(headers(frame), [
    ["accept-version", "1.1,1.2"],
    ["host", "vhost-a"],
    ["login", "guest"],
    ["passcode", "secret"],
    ["heart-beat", "4000,6000"],
    ["client-id", "c-1"],
  ]);
  assertEquals(session.state, "connecting");
});

Deno.test("StompSession.connectFrame() defaults to host / , every version and 10 s heart-beats", () => {
  const frame = new StompSession().connectFrame();
  assertEquals(headers(frame), [
    ["accept-version", "1.0,1.1,1.2"],
    ["host", "/"],
    ["heart-beat", "10000,10000"],
  ]);
});

Deno.test("StompSession.connectFrame() sends STOMP when asked", () => {
  const frame = new StompSession({ command: "STOMP" }).connectFrame();
  assertEquals(frame.command, "STOMP");
});

Deno.test("StompSession.connectFrame() refuses a second call", () => {
  const session = new StompSession();
  session.connectFrame();
  assertThrows(
    () => session.connectFrame(),
    StompConnectionError,
    "Cannot connect: the session is connecting, not idle",
  );
});

Deno.test("StompSession rejects invalid options with TypeError", () => {
  assertThrows(
    () => new StompSession({ acceptVersion: [] }),
    TypeError,
    "acceptVersion must list versions",
  );
  assertThrows(
    () => new StompSession({ acceptVersion: ["2.0" as StompVersion] }),
    TypeError,
    "acceptVersion",
  );
  assertThrows(
    () => new StompSession({ heartBeat: [-1, 0] }),
    TypeError,
    "heartBeat must be two non-negative integers",
  );
  assertThrows(
    () => new StompSession({ command: "HELLO" as "STOMP" }),
    TypeError,
    'command must be "CONNECT" or "STOMP"',
  );
});

Deno.test("StompSession.receive() negotiates the version from CONNECTED", () => {
  for (const version of ["1.0", "1.1", "1.2"] as const) {
    const session = open(version);
    assertEquals(session.version, version);
    assertEquals(session.state, "connected");
  }
  // No version header: the server speaks STOMP 1.0.
  assertEquals(open("none").version, "1.0");
});

Deno.test("StompSession.receive() refuses a version the client did not offer", () => {
  const session = new StompSession({ acceptVersion: ["1.2"] });
  session.connectFrame();
  assertThrows(
    () => session.receive(connected({ version: "1.1" })),
    StompConnectionError,
    'Server chose version "1.1", which the client did not offer (1.2)',
  );
  assertEquals(session.state, "closed");

  const old = new StompSession({ acceptVersion: ["1.1", "1.2"] });
  old.connectFrame();
  assertThrows(
    () => old.receive(connected()),
    StompConnectionError,
    "Server speaks STOMP 1.0 (no version header)",
  );
});

Deno.test("StompSession.receive() negotiates heart-beats as the specification says", () => {
  // [client offers, server offers, expected { send, receive }]
  const cases: [[number, number], [number, number] | undefined, {
    send: number;
    receive: number;
  }][] = [
    [[1000, 2000], [3000, 4000], { send: 4000, receive: 3000 }],
    [[5000, 5000], [1000, 1000], { send: 5000, receive: 5000 }],
    [[0, 2000], [3000, 4000], { send: 0, receive: 3000 }],
    [[1000, 0], [3000, 4000], { send: 4000, receive: 0 }],
    [[1000, 2000], [0, 4000], { send: 4000, receive: 0 }],
    [[1000, 2000], [3000, 0], { send: 0, receive: 3000 }],
    [[1000, 2000], undefined, { send: 0, receive: 0 }],
    [[0, 0], [3000, 4000], { send: 0, receive: 0 }],
  ];
  for (const [client, server, expected] of cases) {
    const session = new StompSession({ heartBeat: client });
    session.connectFrame();
    const event = session.receive(
      connected({
        version: "1.2",
        ...(server === undefined ? {} : { heartBeat: server }),
      }),
    );
    assert(event.type === "connected");
    assertEquals(
      event.heartBeat,
      expected,
      `client ${client}, server ${server}`,
    );
    assertEquals(session.heartBeat, expected);
  }
});

Deno.test("StompSession.receive() refuses a malformed heart-beat header", () => {
  const session = new StompSession();
  session.connectFrame();
  assertThrows(
    () =>
      session.receive(
        new StompFrame("CONNECTED", { version: "1.2", "heart-beat": "fast" }),
      ),
    StompConnectionError,
    'Invalid heart-beat header in CONNECTED frame: "fast"',
  );
});

Deno.test("negotiateHeartBeat() turns a direction off on 0, else takes the larger", () => {
  assertEquals(negotiateHeartBeat(0, 5000), 0);
  assertEquals(negotiateHeartBeat(5000, 0), 0);
  assertEquals(negotiateHeartBeat(1000, 5000), 5000);
  assertEquals(negotiateHeartBeat(7000, 5000), 7000);
});

Deno.test("StompSession prepares operations before CONNECTED, but no ACK, which needs the version", () => {
  const session = new StompSession();
  assertEquals(session.send("/queue/a", "x").frame.command, "SEND");
  session.connectFrame();
  assertEquals(session.subscribe("/queue/a").frame.command, "SUBSCRIBE");
  assertThrows(
    () =>
      session.ack(
        message("/queue/a", "x", { messageId: "1", subscription: "sub-1" }),
      ),
    StompConnectionError,
    "Cannot acknowledge: the session is connecting, not connected",
  );
  assertThrows(
    () =>
      session.receive(message("/queue/a", "x", {
        messageId: "1",
        subscription: "sub-1",
      })),
    StompConnectionError,
    "Protocol violation: Unexpected MESSAGE frame (connecting)",
  );
});

Deno.test("StompSession refuses frames only clients send, and a second CONNECTED", () => {
  const session = open();
  assertThrows(
    () => session.receive(new StompFrame("SEND", { destination: "/q" })),
    StompConnectionError,
    "Protocol violation: Unexpected SEND frame from the server",
  );
  const again = open();
  assertThrows(
    () => again.receive(connected({ version: "1.2" })),
    StompConnectionError,
    "Protocol violation: the server sent a second CONNECTED frame",
  );
});

Deno.test("StompSession.send() builds SEND with a fresh receipt id when asked", () => {
  const session = open();
  const plain = session.send("/queue/a", "hi", {
    contentType: "text/plain",
    headers: { priority: "9" },
  });
  assertEquals(plain.receipt, undefined);
  assertEquals(headers(plain.frame), [
    ["destination", "/queue/a"],
    ["content-type", "text/plain"],
    ["priority", "9"],
  ]);
  assertEquals(plain.frame.text, "hi");
  const first = session.send("/queue/a", "1", { receipt: true });
  const second = session.send("/queue/a", "2", { receipt: true });
  assert(first.receipt !== undefined && second.receipt !== undefined);
  assert(first.receipt !== second.receipt);
  assertEquals(first.frame.headers.get("receipt"), first.receipt);
});

Deno.test("StompSession.receive() reports a RECEIPT with its id", () => {
  const session = open();
  const { receipt: id } = session.send("/queue/a", "x", { receipt: true });
  const event = session.receive(receipt(id!));
  assertEquals(event.type, "receipt");
  assert(event.type === "receipt");
  assertEquals(event.receiptId, id);
  assertEquals(event.disconnected, false);
  assertThrows(
    () => session.receive(new StompFrame("RECEIPT")),
    StompConnectionError,
    "RECEIPT frame without a receipt-id header",
  );
});

Deno.test("StompSession.subscribe() numbers subscriptions and keeps their options", () => {
  const session = open();
  const a = session.subscribe("/queue/a");
  const b = session.subscribe("/topic/b", {
    ack: "client",
    headers: { "prefetch-count": "5" },
    receipt: true,
  });
  assert(a.subscription.id !== b.subscription.id);
  assertEquals(headers(a.frame), [
    ["id", a.subscription.id],
    ["destination", "/queue/a"],
    ["ack", "auto"],
  ]);
  assertEquals(headers(b.frame), [
    ["id", b.subscription.id],
    ["destination", "/topic/b"],
    ["ack", "client"],
    ["receipt", b.receipt!],
    ["prefetch-count", "5"],
  ]);
  assertEquals([...session.subscriptions.keys()], [
    a.subscription.id,
    b.subscription.id,
  ]);
});

Deno.test("StompSession.unsubscribe() builds UNSUBSCRIBE and forgets the subscription", () => {
  const session = open();
  const { subscription } = session.subscribe("/queue/a");
  const out = session.unsubscribe(subscription.id, { receipt: true });
  assertEquals(out.frame.command, "UNSUBSCRIBE");
  assertEquals(out.frame.headers.get("id"), subscription.id);
  assertEquals(out.frame.headers.get("receipt"), out.receipt);
  assertEquals(session.subscriptions.size, 0);
  assertThrows(
    () => session.unsubscribe(subscription.id),
    TypeError,
    "no active subscription",
  );
});

Deno.test("StompSession.receive() maps a MESSAGE to its subscription", () => {
  const session = open();
  const { subscription } = session.subscribe("/queue/a");
  const delivery = message("/queue/a", "hi", {
    messageId: "m-1",
    subscription: subscription.id,
  });
  const event = session.receive(delivery);
  assert(event.type === "message");
  assertEquals(event.subscription, subscription);
  assertEquals(event.frame, delivery);

  // After UNSUBSCRIBE a message still in flight has no subscription.
  session.unsubscribe(subscription.id);
  const late = session.receive(delivery);
  assert(late.type === "message");
  assertEquals(late.subscription, undefined);
});

Deno.test("StompSession.receive() maps a STOMP 1.0 MESSAGE without subscription to the only one", () => {
  const session = open("1.0");
  const { subscription } = session.subscribe("/queue/a");
  const event = session.receive(
    new StompFrame("MESSAGE", { destination: "/queue/a", "message-id": "7" }),
  );
  assert(event.type === "message");
  assertEquals(event.subscription, subscription);
});

function delivery(
  subscription: string,
  ack?: string,
): StompFrame {
  return message("/queue/a", "x", {
    messageId: "m-1",
    subscription,
    ...(ack === undefined ? {} : { ack }),
  });
}

Deno.test("StompSession.ack() writes STOMP 1.2 ACK and NACK with the MESSAGE's ack header as id", () => {
  const session = open("1.2");
  const { subscription } = session.subscribe("/queue/a", {
    ack: "client-individual",
  });
  const frame = delivery(subscription.id, "ack-77");
  assertEquals(headers(session.ack(frame).frame), [["id", "ack-77"]]);
  const rejected = session.nack(frame, { receipt: true });
  assertEquals(headers(rejected.frame), [
    ["id", "ack-77"],
    ["receipt", rejected.receipt!],
  ]);
});

Deno.test("StompSession.ack() writes STOMP 1.1 ACK with message-id and subscription", () => {
  const session = open("1.1");
  const { subscription } = session.subscribe("/queue/a", { ack: "client" });
  const frame = delivery(subscription.id);
  assertEquals(headers(session.ack(frame).frame), [
    ["message-id", "m-1"],
    ["subscription", subscription.id],
  ]);
  assertEquals(session.nack(frame).frame.command, "NACK");
});

Deno.test("StompSession.ack() writes STOMP 1.0 ACK with message-id only, and refuses NACK", () => {
  const session = open("1.0");
  const { subscription } = session.subscribe("/queue/a", { ack: "client" });
  const frame = delivery(subscription.id);
  assertEquals(headers(session.ack(frame).frame), [["message-id", "m-1"]]);
  assertThrows(
    () => session.nack(frame),
    TypeError,
    "NACK needs STOMP 1.1 or later, and the server chose 1.0",
  );
});

Deno.test("StompSession.ack() refuses auto mode, a missing ack header, and frames that are not MESSAGE", () => {
  const session = open("1.2");
  const auto = session.subscribe("/queue/a");
  assertThrows(
    () => session.ack(delivery(auto.subscription.id, "a-1")),
    TypeError,
    'is in "auto" mode',
  );
  const manual = session.subscribe("/queue/b", { ack: "client-individual" });
  assertThrows(
    () => session.ack(delivery(manual.subscription.id)),
    TypeError,
    'it has no "ack" header, which STOMP 1.2 needs',
  );
  assertThrows(
    () => session.ack(receipt("1")),
    TypeError,
    'expected a MESSAGE frame, got "RECEIPT"',
  );
});

Deno.test("StompSession transactions: begin, send and ack inside, commit or abort once", () => {
  const session = open();
  const { subscription } = session.subscribe("/queue/a", { ack: "client" });
  const begun = session.begin({ receipt: true });
  assertEquals(begun.frame.command, "BEGIN");
  assertEquals(begun.frame.headers.get("transaction"), begun.transaction);
  assertEquals(begun.frame.headers.get("receipt"), begun.receipt);
  const sent = session.send("/queue/a", "x", {
    transaction: begun.transaction,
  });
  assertEquals(sent.frame.headers.get("transaction"), begun.transaction);
  const acked = session.ack(delivery(subscription.id, "a-1"), {
    transaction: begun.transaction,
  });
  assertEquals(acked.frame.headers.get("transaction"), begun.transaction);
  const committed = session.commit(begun.transaction);
  assertEquals(committed.frame.command, "COMMIT");
  assertThrows(
    () => session.commit(begun.transaction),
    TypeError,
    "it is not active",
  );
  assertThrows(
    () => session.send("/queue/a", "x", { transaction: begun.transaction }),
    TypeError,
    "it is not active",
  );
  const other = session.begin();
  assert(other.transaction !== begun.transaction);
  assertEquals(session.abort(other.transaction).frame.command, "ABORT");
});

Deno.test("StompSession.receive() turns ERROR into a StompServerError and closes", () => {
  const session = open();
  const { receipt: id } = session.send("/queue/a", "x", { receipt: true });
  const frame = error("Bad destination", "no such queue", { receiptId: id! });
  const event = session.receive(frame);
  assert(event.type === "error");
  assertInstanceOf(event.error, StompServerError);
  assertEquals(event.error.frame, frame);
  assertEquals(event.receiptId, id);
  assertEquals(session.state, "closed");
});

Deno.test("StompSession.receive() reports an ERROR answering CONNECT", () => {
  const session = new StompSession();
  session.connectFrame();
  const event = session.receive(error("Bad CONNECT", "Access refused"));
  assert(event.type === "error");
  assertEquals(event.error.message, "Bad CONNECT: Access refused");
  assertEquals(event.receiptId, undefined);
  assertEquals(session.state, "closed");
});

Deno.test("StompSession.disconnect() asks for a receipt and closes when it comes", () => {
  const session = open();
  const other = session.send("/queue/a", "x", { receipt: true });
  const bye = session.disconnect();
  assertEquals(bye.frame.command, "DISCONNECT");
  assertEquals(bye.frame.headers.get("receipt"), bye.receipt);
  assertEquals(session.state, "disconnecting");
  assertThrows(() => session.send("/queue/a", "x"), StompConnectionError);
  // Messages and receipts still in flight are accepted while disconnecting.
  const earlier = session.receive(receipt(other.receipt!));
  assert(earlier.type === "receipt" && !earlier.disconnected);
  const last = session.receive(receipt(bye.receipt));
  assert(last.type === "receipt" && last.disconnected);
  assertEquals(session.state, "closed");
});

Deno.test("StompSession.reset() keeps subscriptions for resubscribe() and drops transactions", () => {
  const session = open("1.1", { heartBeat: [1000, 1000] });
  const a = session.subscribe("/queue/a", {
    ack: "client-individual",
    headers: { "prefetch-count": "3" },
    receipt: true,
  });
  const b = session.subscribe("/topic/b");
  const gone = session.subscribe("/queue/gone");
  session.unsubscribe(gone.subscription.id);
  const { transaction } = session.begin();

  session.close();
  assertEquals(session.state, "closed");
  session.reset();
  assertEquals(session.state, "idle");
  assertEquals(session.version, undefined);
  assertEquals(session.heartBeat, { send: 0, receive: 0 });

  session.connectFrame();
  session.receive(connected({ version: "1.2", heartBeat: [2000, 0] }));
  assertEquals(session.version, "1.2");
  const frames = session.resubscribe().map((out) => out.frame);
  assertEquals(frames.map(headers), [
    [
      ["id", a.subscription.id],
      ["destination", "/queue/a"],
      ["ack", "client-individual"],
      ["prefetch-count", "3"],
    ],
    [
      ["id", b.subscription.id],
      ["destination", "/topic/b"],
      ["ack", "auto"],
    ],
  ]);
  assertThrows(() => session.commit(transaction), TypeError, "not active");
  // Ids keep counting: nothing new collides with a restored subscription.
  const c = session.subscribe("/queue/c");
  assert(![a, b, gone].some((s) => s.subscription.id === c.subscription.id));
});

Deno.test("StompSession.forget() drops a subscription without a frame", () => {
  const session = open();
  const { subscription } = session.subscribe("/queue/a");
  assertEquals(session.forget(subscription.id), true);
  assertEquals(session.forget(subscription.id), false);
  assertEquals(session.resubscribe(), []);
});

Deno.test("StompSession.resubscribe() restores the chosen subscriptions, with receipts if asked", () => {
  const session = open();
  const a = session.subscribe("/queue/a").subscription;
  session.subscribe("/queue/b");
  session.reset();
  session.connectFrame();
  session.receive(connected({ version: "1.2" }));
  const [only, ...rest] = session.resubscribe({
    only: (subscription) => subscription.id === a.id,
    receipt: true,
  });
  assertEquals(rest, []);
  assertEquals(only!.frame.headers.get("id"), a.id);
  assertEquals(only!.frame.headers.get("receipt"), only!.receipt);
  assert(only!.receipt !== undefined);
});

Deno.test("StompSession.reset() after a refused handshake keeps what was prepared for the next attempt", () => {
  const session = new StompSession();
  session.connectFrame();
  const { transaction } = session.begin();
  session.receive(error("Busy"));
  session.reset();
  session.connectFrame();
  session.receive(connected({ version: "1.2" }));
  assertEquals(session.commit(transaction).frame.command, "COMMIT");
});
