// Options of each operation from JavaScript with a misspelt name
// (src/client/_op_keys.ts): refused with a TypeError naming the key and the
// closest known one, or, for a key that looks like a STOMP header, saying to
// put it in `headers`; before, the operation went on without it (no receipt
// asked, auto mode, the header left out). Against the test broker.

import {
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import {
  type BeginOptions,
  type ClientSendOptions,
  type ClientSubscribeOptions,
  type DisconnectOptions,
  type DrainOptions,
  type MessageAckOptions,
  type ReplyOptions,
  type RequestOptions,
  StompClient,
  type TransactionEndOptions,
  type TransactionSendOptions,
  type UnsubscribeOptions,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { uniqueQueue } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

/** A client whose written frames (after CONNECT) are listed in `written`. */
async function tracedClient(url: string) {
  const written: string[] = [];
  const client: Loose = await StompClient.connectUrl(url, {
    trace: (event) => {
      if (event.direction === "out" && event.frame !== undefined) {
        written.push(event.frame.command);
      }
    },
  });
  written.length = 0;
  return { client, written };
}

/** The first message of a fresh client-individual subscription. */
async function oneMessage(client: Loose, destination: string) {
  const subscription = await client.subscribe(destination, {
    ack: "client-individual",
    receipt: true,
  });
  await client.send(destination, "body", { receipt: true });
  const { value } = await subscription[Symbol.asyncIterator]().next();
  return { subscription, message: value as Loose };
}

/** Asserts `call` returns a promise (no throw) rejecting with `message`. */
async function refuses(call: () => unknown, message: string): Promise<void> {
  const promise = call();
  assertInstanceOf(promise, Promise);
  const error = await assertRejects(() => promise as Promise<unknown>);
  assertInstanceOf(error, TypeError);
  assertEquals(error.message, message);
}

Deno.test("StompClient operations refuse a misspelt option, naming the closest, and write nothing", async () => {
  await using broker = StompTestBroker.listen();
  const { client, written } = await tracedClient(broker.url);
  const queue = uniqueQueue("op-keys");
  const { subscription, message } = await oneMessage(client, queue);
  const transaction = await client.begin({ receipt: true });
  written.length = 0;
  const cases: [() => unknown, string][] = [
    [
      () => client.send(queue, "x", { recipt: true }),
      'Cannot send: unknown option "recipt" (did you mean "receipt"?)',
    ],
    [
      () => client.subscribe(queue, { ackMode: "client" }),
      'Cannot subscribe: unknown option "ackMode"',
    ],
    [
      () => client.subscribe(queue, { highWatermark: 1 }),
      'Cannot subscribe: unknown option "highWatermark" (did you mean "highWaterMark"?)',
    ],
    [
      () => client.request(queue, "x", { timout: 5 }),
      'Cannot send a request: unknown option "timout" (did you mean "timeout"?)',
    ],
    [
      () => client.request(queue, "x", { receipt: true }),
      'Cannot send a request: unknown option "receipt"',
    ],
    [
      () => client.reply(message, "x", { contentTyp: "text/plain" }),
      'Cannot reply: unknown option "contentTyp" (did you mean "contentType"?)',
    ],
    [
      () => client.begin({ recipt: true }),
      'Cannot begin a transaction: unknown option "recipt" (did you mean "receipt"?)',
    ],
    [
      () => subscription.unsubscribe({ reciept: true }),
      'Cannot unsubscribe: unknown option "reciept" (did you mean "receipt"?)',
    ],
    [
      () => subscription.drain({ timeOut: 5 }),
      'Cannot drain: unknown option "timeOut" (did you mean "timeout"?)',
    ],
    [
      () => message.ack({ recipt: true }),
      'Cannot acknowledge: unknown option "recipt" (did you mean "receipt"?)',
    ],
    [
      () => message.nack({ header: { requeue: "false" } }),
      'Cannot reject: unknown option "header" (did you mean "headers"?)',
    ],
    [
      () => transaction.send(queue, "x", { contentlength: false }),
      'Cannot send in a transaction: unknown option "contentlength" (did you mean "contentLength"?)',
    ],
    [
      () => transaction.ack(message, { singal: undefined, recipt: true }),
      'Cannot acknowledge in a transaction: unknown option "recipt" (did you mean "receipt"?)',
    ],
    [
      () => transaction.nack(message, { transaction: "tx" }),
      'Cannot reject in a transaction: unknown option "transaction"',
    ],
    [
      () => transaction.commit({ recipt: true }),
      'Cannot commit a transaction: unknown option "recipt" (did you mean "receipt"?)',
    ],
    [
      () => transaction.abort({ header: {} }),
      'Cannot abort a transaction: unknown option "header" (did you mean "headers"?)',
    ],
    [
      () => client.drain({ timout: 5 }),
      'Cannot drain: unknown option "timout" (did you mean "timeout"?)',
    ],
    [
      () => client.disconnect({ timout: 5 }),
      'Cannot disconnect: unknown option "timout" (did you mean "timeout"?)',
    ],
  ];
  for (const [call, expected] of cases) await refuses(call, expected);
  assertEquals(written, [], "no frame was written");
  assertEquals(client.state, "connected");
  assertEquals(subscription.active, true);
  assertEquals(transaction.state, "active");
  // The same operations, spelt right, go through.
  await message.ack({ receipt: true });
  await transaction.commit({ receipt: true });
  await client.disconnect({ timeout: 5000 });
  assertEquals(client.state, "closed");
});

Deno.test("StompClient operations refuse a header given as an option, saying to put it in headers", async () => {
  await using broker = StompTestBroker.listen();
  const { client, written } = await tracedClient(broker.url);
  const queue = uniqueQueue("op-keys");
  await refuses(
    () => client.subscribe(queue, { "prefetch-count": "1" }),
    'Cannot subscribe: unknown option "prefetch-count" (a header? put it in headers)',
  );
  await refuses(
    () => client.subscribe(queue, { selector: "a = 1" }),
    'Cannot subscribe: unknown option "selector" (a header? put it in headers)',
  );
  await refuses(
    () => client.subscribe(queue, { "activemq.prefetchSize": "1" }),
    'Cannot subscribe: unknown option "activemq.prefetchSize" (a header? put it in headers)',
  );
  for (const name of ["persistent", "priority", "expires", "reply-to"]) {
    await refuses(
      () => client.send(queue, "x", { [name]: "1" }),
      `Cannot send: unknown option "${name}" (a header? put it in headers)`,
    );
  }
  // A slip of an option's name is named as such, not as a header.
  await refuses(
    () => client.send(queue, "x", { "content-type": "text/plain" }),
    'Cannot send: unknown option "content-type" (did you mean "contentType"?)',
  );
  assertEquals(written, []);
  assertEquals(broker.depth(queue), 0);
});

Deno.test("StompClient operations take an unknown option whose value is undefined", async () => {
  await using broker = StompTestBroker.listen();
  await using client: Loose = await StompClient.connectUrl(broker.url);
  const queue = uniqueQueue("op-keys");
  await client.send(queue, "x", { recipt: undefined, receipt: true });
  const subscription = await client.subscribe(queue, { ackMode: undefined });
  const { value } = await subscription[Symbol.asyncIterator]().next();
  assertEquals(value.text, "x");
});

Deno.test("StompClient operations take every documented option", async () => {
  // Required<>: an option added to an interface and not to the operation's
  // known names fails the type check here, or is refused below.
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url);
  const queue = uniqueQueue("op-keys");
  const signal = new AbortController().signal;
  const timeout = 5000;
  const subscribe: Required<ClientSubscribeOptions> = {
    timeout,
    signal,
    ack: "client-individual",
    receipt: true,
    headers: { "prefetch-count": "10" },
    highWaterMark: 10,
    highWaterMarkBytes: 1 << 20,
  };
  const subscription = await client.subscribe(queue, subscribe);
  const send: Required<ClientSendOptions> = {
    timeout,
    signal,
    receipt: true,
    contentType: "text/plain",
    headers: { "x-kind": "test", "reply-to": queue },
    contentLength: true,
  };
  await client.send(queue, "one", send);
  const iterator = subscription[Symbol.asyncIterator]();
  const one = (await iterator.next()).value!;
  const reply: Required<ReplyOptions> = { ...send, headers: {} };
  await client.reply(one, "answer", reply);
  const ack: Required<MessageAckOptions> = {
    timeout,
    signal,
    receipt: true,
    headers: {},
  };
  await one.ack(ack);
  const answer = (await iterator.next()).value!;
  await answer.nack(ack);
  const begin: Required<BeginOptions> = {
    timeout,
    signal,
    receipt: true,
    headers: {},
  };
  const transaction = await client.begin(begin);
  const inTransaction: Required<TransactionSendOptions> = {
    ...send,
    headers: {},
  };
  await transaction.send(queue, "two", inTransaction);
  const end: Required<TransactionEndOptions> = {
    timeout,
    signal,
    receipt: true,
    headers: {},
  };
  await transaction.commit(end);
  const two = (await iterator.next()).value!;
  const other = await client.begin(begin);
  await other.ack(two, ack);
  await other.abort(end);
  await other.abort(end).catch(() => {}); // ended: refused for that, not the options
  const unsubscribe: Required<UnsubscribeOptions> = {
    timeout,
    signal,
    receipt: true,
    headers: {},
  };
  await subscription.unsubscribe(unsubscribe);
  const drain: Required<DrainOptions> = { timeout, signal };
  const drained = await client.subscribe(uniqueQueue("op-keys"));
  await drained.drain(drain);
  const request: Required<RequestOptions> = {
    timeout: 50,
    signal,
    contentType: "text/plain",
    headers: {},
    contentLength: false,
  };
  const unanswered = await assertRejects(() =>
    client.request(uniqueQueue("op-keys"), "ping", request)
  );
  assertEquals((unanswered as Error).name, "StompTimeoutError");
  const disconnect: Required<DisconnectOptions> = {
    timeout,
    signal,
    headers: {},
  };
  const closing = await StompClient.connectUrl(broker.url);
  await closing.disconnect(disconnect);
  assertStrictEquals(closing.state, "closed");
  await client.drain(drain);
  assertEquals(client.state, "closed");
});
