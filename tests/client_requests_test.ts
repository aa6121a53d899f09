// Request/reply (src/client/_requests.ts): the reply route per kind of
// broker, requests matched to replies by correlation-id, and what a lost
// connection or a closed client fails. The host is a stand-in for the
// client that records what the requests ask of it.

import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { message } from "@stomper/stomp";
import { StompConnectionError } from "@stomper/stomp/client";
import { ManualTimers } from "@stomper/stomp/testing";
import { Subscription } from "../src/client/_impl.ts";
import { Deadlines, Operation } from "../src/client/_operation.ts";
import { type ReplyHost, Requests } from "../src/client/_requests.ts";
import type { StompMessage } from "../src/client/subscription.ts";

function host(server: string | undefined, log: string[]): ReplyHost {
  const self: ReplyHost = {
    serverName: server,
    subscribeReplies: (destination) => {
      log.push(`subscribe ${destination}`);
      return new Subscription(
        { id: "sub-9", destination, ack: "auto", headers: undefined },
        8,
        self,
      );
    },
    releaseReplies: (subscription) => log.push(`release ${subscription.id}`),
    unsubscribe: () => Promise.resolve(),
    drain: () => Promise.resolve(),
    resume: () => {},
    refuse: (error) => Promise.reject(error),
  };
  return self;
}

function operation(): Operation<StompMessage> {
  const timers = new ManualTimers();
  return new Operation<StompMessage>(
    'request to "/queue/rpc"',
    { timers, deadlines: new Deadlines(timers), report: () => {} },
    0,
    undefined,
  );
}

Deno.test("Requests on RabbitMQ route replies through a temp queue, without a SUBSCRIBE", async () => {
  const log: string[] = [];
  const requests = new Requests(host("RabbitMQ/3.10", log), "auto", undefined);
  assertEquals(requests.replyTo(), "/temp-queue/stomper-replies");
  assertEquals(log, []);
  const op = operation();
  const id = requests.add(op);
  const reply = message("/temp-queue/stomper-replies", "5", {
    messageId: "m-1",
    subscription: "/temp-queue/stomper-replies",
    headers: { "correlation-id": id },
  });
  const route = requests.replySubscription(reply, undefined);
  assertEquals(route?.id, "/temp-queue/stomper-replies");
  const made = { text: "5" } as StompMessage;
  assertEquals(requests.settle(reply, () => made), true);
  assertEquals(await op.promise, made);
  // Late: nobody waits for it any more.
  assertEquals(requests.settle(reply, () => made), false);
});

Deno.test("Requests elsewhere subscribe once to a temporary queue, and drop it on another kind of broker", () => {
  const log: string[] = [];
  const other = host("ActiveMQ/5.17", log);
  const requests = new Requests(other, "auto", undefined);
  const replyTo = requests.replyTo();
  assertEquals(replyTo.startsWith("/temp-queue/stomper-"), true);
  assertEquals(requests.replyTo(), replyTo);
  assertEquals(log, [`subscribe ${replyTo}`]);
  (other as { serverName: string | undefined }).serverName = "RabbitMQ/3.10";
  requests.reconnected();
  assertEquals(log, [`subscribe ${replyTo}`, "release sub-9"]);
});

Deno.test("Requests lost fails only the requests sent on that connection; closed fails the rest", async () => {
  const requests = new Requests(host("RabbitMQ", []), "auto", undefined);
  const first = operation();
  const second = operation();
  requests.sent(requests.add(first), 1);
  requests.add(second);
  requests.lost(1, new StompConnectionError("Connection lost"));
  const error = await assertRejects(() => first.promise, StompConnectionError);
  assertEquals(
    error.message,
    'No reply to request to "/queue/rpc": the connection it was sent on was lost (the request may have been processed)',
  );
  assertEquals(second.done, false);
  requests.closed(new StompConnectionError("The client was closed"));
  assertInstanceOf(
    await second.promise.catch((e) => e),
    StompConnectionError,
  );
});
