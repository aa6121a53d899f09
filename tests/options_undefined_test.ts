// An option set to `undefined` is an option left out, in the types as at run
// time. A caller forwarding its own optional values (`{ receipt, timeout }`)
// under `exactOptionalPropertyTypes`, as strict configurations such as
// @tsconfig/strictest have it, could not pass them when the types said
// `receipt?: boolean`: every optional property now says `| undefined`.
//
// Each record below names every option of its interface with the value
// `undefined`: `AllUndefined<T>` requires each name, so an option added later
// fails this file's type check until it is listed here, and passing the record
// where `T` is expected compiles only if each property takes `undefined`. The
// tests then check the run-time half: the frames written with every option
// `undefined` are those written with none.

import { assertEquals } from "@std/assert";
import {
  type BeginOptions,
  type ClientSendOptions,
  type ClientSubscribeOptions,
  type ConnectOverrides,
  type ConnectUrlOptions,
  type DisconnectOptions,
  type DrainOptions,
  type MessageAckOptions,
  type ReconnectOptions,
  type ReplyOptions,
  type RequestOptions,
  type SessionAckOptions,
  type SessionReceiptOptions,
  type SessionSendOptions,
  type SessionSubscribeOptions,
  StompClient,
  StompSession,
  type StompSessionOptions,
  type TransactionEndOptions,
  type TransactionSendOptions,
  type UnsubscribeOptions,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import {
  abort,
  ack,
  type AckOptions,
  begin,
  commit,
  connect,
  connected,
  type ConnectedOptions,
  type ConnectOptions,
  decodeFrame,
  type DecodeOptions,
  disconnect,
  encodeFrame,
  type EncodeOptions,
  error,
  type ErrorOptions as BuilderErrorOptions,
  type FrameOptions,
  message,
  type MessageOptions,
  nack,
  receipt,
  type ReceiptOptions,
  send,
  type SendOptions,
  stomp,
  StompDecoderStream,
  StompEncoderStream,
  type StompFrame,
  subscribe,
  type SubscribeOptions,
  unsubscribe,
  type WebSocketConnectOptions,
} from "@stomper/stomp";
import type { StompTestBrokerOptions } from "@stomper/stomp/testing";

/** Every option of `T`, each `undefined`. */
type AllUndefined<T> = { readonly [K in keyof T]-?: undefined };

const CLIENT: AllUndefined<ConnectUrlOptions> = {
  host: undefined,
  login: undefined,
  passcode: undefined,
  acceptVersion: undefined,
  heartBeat: undefined,
  headers: undefined,
  command: undefined,
  heartBeatGrace: undefined,
  connectTimeout: undefined,
  disconnectTimeout: undefined,
  receiptTimeout: undefined,
  sendBufferSize: undefined,
  unconfirmedBytes: undefined,
  maxSendBodyBytes: undefined,
  textContentLength: undefined,
  signal: undefined,
  reconnect: undefined,
  highWaterMark: undefined,
  highWaterMarkBytes: undefined,
  decodeLimits: undefined,
  bodyChunks: undefined,
  timers: undefined,
  beforeConnect: undefined,
  onUnhandledMessage: undefined,
  replyMode: undefined,
  replyDestination: undefined,
  onStateChange: undefined,
  onError: undefined,
  trace: undefined,
  redactHeaders: undefined,
  transport: undefined,
};

const RECONNECT: AllUndefined<ReconnectOptions> = {
  retries: undefined,
  initialDelay: undefined,
  maxDelay: undefined,
  factor: undefined,
  jitter: undefined,
  random: undefined,
  onFailedAttempt: undefined,
  retryFirstConnect: undefined,
  stableAfter: undefined,
};

const SEND: AllUndefined<ClientSendOptions> = {
  timeout: undefined,
  signal: undefined,
  receipt: undefined,
  headers: undefined,
  contentType: undefined,
  contentLength: undefined,
};
const REPLY: AllUndefined<ReplyOptions> = SEND;
const REQUEST: AllUndefined<RequestOptions> = {
  timeout: undefined,
  signal: undefined,
  headers: undefined,
  contentType: undefined,
  contentLength: undefined,
};
const SUBSCRIBE: AllUndefined<ClientSubscribeOptions> = {
  timeout: undefined,
  signal: undefined,
  receipt: undefined,
  headers: undefined,
  ack: undefined,
  highWaterMark: undefined,
  highWaterMarkBytes: undefined,
};
const FRAME = {
  timeout: undefined,
  signal: undefined,
  receipt: undefined,
  headers: undefined,
} as const;
const BEGIN: AllUndefined<BeginOptions> = FRAME;
const ACK: AllUndefined<MessageAckOptions> = FRAME;
const UNSUBSCRIBE: AllUndefined<UnsubscribeOptions> = FRAME;
const TX_END: AllUndefined<TransactionEndOptions> = FRAME;
const TX_SEND: AllUndefined<TransactionSendOptions> = SEND;
const DISCONNECT: AllUndefined<DisconnectOptions> = {
  timeout: undefined,
  signal: undefined,
  headers: undefined,
};
const DRAIN: AllUndefined<DrainOptions> = {
  timeout: undefined,
  signal: undefined,
};

/** The options one run passes to each call. */
interface CallOptions {
  client: ConnectUrlOptions;
  send: ClientSendOptions;
  reply: ReplyOptions;
  request: RequestOptions;
  subscribe: ClientSubscribeOptions;
  begin: BeginOptions;
  ack: MessageAckOptions;
  unsubscribe: UnsubscribeOptions;
  txEnd: TransactionEndOptions;
  txSend: TransactionSendOptions;
  disconnect: DisconnectOptions;
  drain: DrainOptions;
}

/**
 * A frame as the broker got it: its command and headers, in order, with the
 * random part of reply queues and correlation ids left out.
 */
function seen(frame: StompFrame): string {
  return [frame.command, ...[...frame.headers].map(([k, v]) => `${k}:${v}`)]
    .join(" ").replaceAll(/stomper-[0-9a-f]{8}/g, "stomper-*");
}

/**
 * Every client operation once, with the options of `calls`; the frames the
 * broker received, in order.
 */
async function everyOperation(calls: CallOptions): Promise<string[]> {
  const frames: string[] = [];
  await using broker = StompTestBroker.listen({
    onFrame: (frame) => void frames.push(seen(frame)),
  });
  const client = await StompClient.connectUrl(broker.url, calls.client);
  const inbox = await client.subscribe("/queue/in", calls.subscribe);
  await client.send("/queue/in", "one", calls.send);
  // Read without a for-await loop, which would unsubscribe on leaving it.
  assertEquals((await inbox[Symbol.asyncIterator]().next()).value?.text, "one");
  const manual = await client.subscribe("/queue/manual", {
    ...calls.subscribe,
    ack: "client-individual",
  });
  await client.send("/queue/manual", "two", { receipt: true });
  await client.send("/queue/manual", "three", { receipt: true });
  const reader = manual[Symbol.asyncIterator]();
  const received = [(await reader.next()).value, (await reader.next()).value];
  await received[0]!.ack(calls.ack);
  await received[1]!.nack(calls.ack);
  await manual.unsubscribe(calls.unsubscribe);
  const committed = await client.begin(calls.begin);
  await committed.send("/queue/tx", "four", calls.txSend);
  await committed.commit(calls.txEnd);
  const aborted = await client.begin(calls.begin);
  await aborted.abort(calls.txEnd);
  const service = await client.subscribe("/queue/rpc", { ack: "auto" });
  const served = (async () => {
    for await (const message of service) {
      await client.reply(message, `re: ${message.text}`, calls.reply);
      break;
    }
  })();
  const answer = await client.request("/queue/rpc", "five", calls.request);
  assertEquals(answer.text, "re: five");
  await served;
  await inbox.drain(calls.drain);
  await client.disconnect(calls.disconnect);
  return frames;
}

Deno.test("StompClient writes the same frames with every option undefined as with none", async () => {
  const none = await everyOperation({
    client: {},
    send: {},
    reply: {},
    request: {},
    subscribe: {},
    begin: {},
    ack: {},
    unsubscribe: {},
    txEnd: {},
    txSend: {},
    disconnect: {},
    drain: {},
  });
  const undefinedOnes = await everyOperation({
    client: CLIENT,
    send: SEND,
    reply: REPLY,
    request: REQUEST,
    subscribe: SUBSCRIBE,
    begin: BEGIN,
    ack: ACK,
    unsubscribe: UNSUBSCRIBE,
    txEnd: TX_END,
    txSend: TX_SEND,
    disconnect: DISCONNECT,
    drain: DRAIN,
  });
  // The run went through every command a client writes.
  assertEquals(
    [...new Set(none.map((frame) => frame.split(" ")[0]))].sort(),
    [
      "ABORT",
      "ACK",
      "BEGIN",
      "COMMIT",
      "CONNECT",
      "DISCONNECT",
      "NACK",
      "SEND",
      "SUBSCRIBE",
      "UNSUBSCRIBE",
    ],
  );
  assertEquals(undefinedOnes, none);
});

Deno.test("StompClient takes reconnect options that are all undefined as reconnect: true", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, {
    reconnect: RECONNECT,
  });
  await client.send("/queue/a", "one", { receipt: true });
  assertEquals(broker.depth("/queue/a"), 1);
});

const SESSION: AllUndefined<StompSessionOptions> = {
  host: undefined,
  login: undefined,
  passcode: undefined,
  acceptVersion: undefined,
  heartBeat: undefined,
  headers: undefined,
  command: undefined,
};
const OVERRIDES: AllUndefined<ConnectOverrides> = {
  host: undefined,
  login: undefined,
  passcode: undefined,
  headers: undefined,
};
const SESSION_RECEIPT: AllUndefined<SessionReceiptOptions> = {
  receipt: undefined,
  headers: undefined,
};
const SESSION_SEND: AllUndefined<SessionSendOptions> = {
  ...SESSION_RECEIPT,
  contentType: undefined,
  transaction: undefined,
};
const SESSION_SUBSCRIBE: AllUndefined<SessionSubscribeOptions> = {
  ...SESSION_RECEIPT,
  ack: undefined,
};
const SESSION_ACK: AllUndefined<SessionAckOptions> = {
  ...SESSION_RECEIPT,
  transaction: undefined,
};

/** Every frame a session builds, with the options given. */
function sessionFrames(
  options: StompSessionOptions,
  overrides: ConnectOverrides,
  receipt: SessionReceiptOptions,
  send: SessionSendOptions,
  subscribe: SessionSubscribeOptions,
  ack: SessionAckOptions,
): string[] {
  const session = new StompSession(options);
  const frames = [session.connectFrame(overrides)];
  session.receive(connected({ version: "1.2" }));
  const { subscription } = session.subscribe("/queue/a", {
    ...subscribe,
    ack: "client-individual",
  });
  frames.push(session.subscribe("/queue/b", subscribe).frame);
  frames.push(session.send("/queue/a", "one", send).frame);
  const delivery = message("/queue/a", "one", {
    messageId: "m-1",
    subscription: subscription.id,
    ack: "a-1",
  });
  frames.push(session.ack(delivery, ack).frame);
  frames.push(session.nack(delivery, ack).frame);
  const { frame: begin, transaction } = session.begin(receipt);
  frames.push(begin, session.commit(transaction, receipt).frame);
  frames.push(session.unsubscribe(subscription.id, receipt).frame);
  frames.push(session.disconnect(receipt).frame);
  return frames.map(seen);
}

Deno.test("StompSession builds the same frames with every option undefined as with none", () => {
  assertEquals(
    sessionFrames(
      SESSION,
      OVERRIDES,
      SESSION_RECEIPT,
      SESSION_SEND,
      SESSION_SUBSCRIBE,
      SESSION_ACK,
    ),
    sessionFrames({}, {}, {}, {}, {}, {}),
  );
});

/** Every optional option of `T` (its required ones are given), each `undefined`. */
type OptionalUndefined<T, Given extends keyof T> = AllUndefined<Omit<T, Given>>;

const HEADERS = { headers: undefined } as const;
const RECEIPT_FRAME = { ...HEADERS, receipt: undefined } as const;

Deno.test("Frame builders build the same frames with every option undefined as with none", () => {
  const connectNone: OptionalUndefined<ConnectOptions, "host"> = {
    ...HEADERS,
    login: undefined,
    passcode: undefined,
    acceptVersion: undefined,
    heartBeat: undefined,
  };
  const sendNone: AllUndefined<SendOptions> = {
    ...RECEIPT_FRAME,
    contentType: undefined,
    transaction: undefined,
  };
  const subscribeNone: AllUndefined<SubscribeOptions> = {
    ...RECEIPT_FRAME,
    ack: undefined,
  };
  const ackNone: AllUndefined<AckOptions> = {
    ...RECEIPT_FRAME,
    transaction: undefined,
  };
  const receiptNone: AllUndefined<ReceiptOptions> = RECEIPT_FRAME;
  const frameNone: AllUndefined<FrameOptions> = HEADERS;
  const connectedNone: AllUndefined<ConnectedOptions> = {
    ...HEADERS,
    version: undefined,
    heartBeat: undefined,
    session: undefined,
    server: undefined,
  };
  const messageNone: OptionalUndefined<
    MessageOptions,
    "messageId" | "subscription"
  > = { ...HEADERS, ack: undefined, contentType: undefined };
  const errorNone: AllUndefined<BuilderErrorOptions> = {
    ...HEADERS,
    receiptId: undefined,
    contentType: undefined,
  };
  const build = (none: boolean) => {
    const pick = <T>(given: T) => none ? {} : given;
    const delivery = { messageId: "m-1", subscription: "s-1" };
    return [
      connect({ host: "/", ...pick(connectNone) }),
      stomp({ host: "/", ...pick(connectNone) }),
      send("/queue/a", "x", pick(sendNone)),
      subscribe("s-1", "/queue/a", pick(subscribeNone)),
      unsubscribe("s-1", pick(receiptNone)),
      ack("a-1", pick(ackNone)),
      nack("a-1", pick(ackNone)),
      begin("tx-1", pick(receiptNone)),
      commit("tx-1", pick(receiptNone)),
      abort("tx-1", pick(receiptNone)),
      disconnect(pick(receiptNone)),
      connected(pick(connectedNone)),
      message("/queue/a", "x", { ...delivery, ...pick(messageNone) }),
      receipt("r-1", pick(frameNone)),
      error("refused", "x", pick(errorNone)),
    ].map(seen);
  };
  assertEquals(build(false), build(true));
});

Deno.test("The codec takes every encoder and decoder option undefined as left out", async () => {
  const encodeNone: AllUndefined<EncodeOptions> = {
    version: undefined,
    contentLength: undefined,
  };
  const decodeNone: AllUndefined<DecodeOptions> = {
    maxHeaderLineBytes: undefined,
    maxHeaderBytes: undefined,
    maxHeaders: undefined,
    maxBodyBytes: undefined,
    version: undefined,
    onHeartbeat: undefined,
    resync: undefined,
    onError: undefined,
    bodyChunks: undefined,
  };
  const frame = send("/queue/a", "a:b\nc", { headers: { "x-y": "1\n2" } });
  assertEquals(encodeFrame(frame, encodeNone), encodeFrame(frame));
  const bytes = encodeFrame(frame);
  assertEquals(
    seen(decodeFrame(bytes, decodeNone)),
    seen(decodeFrame(bytes)),
  );
  const roundTrip = (encode: EncodeOptions, decode: DecodeOptions) =>
    Array.fromAsync(
      ReadableStream.from([frame]).pipeThrough(new StompEncoderStream(encode))
        .pipeThrough(new StompDecoderStream(decode)),
    );
  assertEquals(
    (await roundTrip(encodeNone, decodeNone)).map(seen),
    (await roundTrip({}, {})).map(seen),
  );
});

Deno.test("StompTestBroker and connectWebSocket take every option undefined as left out", async () => {
  const brokerNone: AllUndefined<StompTestBrokerOptions> = {
    hostname: undefined,
    port: undefined,
    webSocket: undefined,
    login: undefined,
    passcode: undefined,
    versions: undefined,
    heartBeat: undefined,
    heartBeatGrace: undefined,
    server: undefined,
    eolAfterFrame: undefined,
    receipts: undefined,
    maxUnwrittenBytes: undefined,
    onFrame: undefined,
  };
  const webSocketNone: AllUndefined<WebSocketConnectOptions> = {
    messageType: undefined,
    highWaterMark: undefined,
    maxMessageBytes: undefined,
    maxUnreadBytes: undefined,
    caCerts: undefined,
    cert: undefined,
    key: undefined,
    protocols: undefined,
    signal: undefined,
    timeout: undefined,
  };
  await using broker = StompTestBroker.listen({
    ...brokerNone,
    webSocket: true,
  });
  await using tcp = await StompClient.connectUrl(broker.url, {
    transport: { ...webSocketNone, hostname: undefined },
  });
  await using ws = await StompClient.connectUrl(broker.webSocketUrl!, {
    transport: webSocketNone,
  });
  await tcp.send("/queue/a", "tcp", { receipt: true });
  await ws.send("/queue/a", "ws", { receipt: true });
  assertEquals(broker.depth("/queue/a"), 2);
  await using plain = StompTestBroker.listen(brokerNone);
  assertEquals(plain.webSocketUrl, undefined);
});
