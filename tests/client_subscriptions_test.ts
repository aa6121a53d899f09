// The subscription registry (src/client/_subscriptions.ts): the client's
// subscriptions kept in step with the session's, through opening, dropping,
// unsubscribing, restoring and losing a connection.

import { assertEquals, assertRejects } from "@std/assert";
import { connected, error, message } from "@stomper/stomp";
import { StompSession } from "@stomper/stomp/client";
import type { SubscriptionOwner } from "../src/client/_impl.ts";
import { Message } from "../src/client/_impl.ts";
import { Subscriptions } from "../src/client/_subscriptions.ts";

/** The client's side of a subscription, as a stand-in that records calls. */
function owner(log: string[]): SubscriptionOwner {
  return {
    unsubscribe: (subscription) => {
      log.push(`unsubscribe ${subscription.id}`);
      return Promise.resolve();
    },
    drain: (subscription) => {
      log.push(`drain ${subscription.id}`);
      return Promise.resolve();
    },
    resume: () => log.push("resume"),
    refuse: (error) => Promise.reject(error),
  };
}

function connectedSession(): StompSession {
  const session = new StompSession({ heartBeat: [0, 0] });
  session.connectFrame();
  session.receive(connected({ version: "1.2" }));
  return session;
}

Deno.test("Subscriptions open registers with the session, and drop forgets in both", async () => {
  const session = connectedSession();
  const registry = new Subscriptions(session, owner([]));
  const { subscription, out } = registry.open("/queue/a", { receipt: true }, 8);
  assertEquals(out.frame.command, "SUBSCRIBE");
  assertEquals(registry.get(subscription.id), subscription);
  assertEquals(session.subscriptions.has(subscription.id), true);
  registry.drop(subscription.id, new Error("refused"));
  assertEquals(registry.get(subscription.id), undefined);
  assertEquals(session.subscriptions.has(subscription.id), false);
  assertEquals(subscription.active, false);
  await assertRejects(
    async () => {
      for await (const _ of subscription) break;
    },
    Error,
    "refused",
  );
});

Deno.test("Subscriptions close gives the UNSUBSCRIBE only when the server must hear of it", () => {
  const session = connectedSession();
  const registry = new Subscriptions(session, owner([]));
  const a = registry.open("/queue/a", {}, 8).subscription;
  const b = registry.open("/queue/b", {}, 8).subscription;
  const out = registry.close(a, { receipt: true });
  assertEquals(out?.frame.command, "UNSUBSCRIBE");
  assertEquals(out?.frame.headers.get("id"), a.id);
  assertEquals(registry.close(b, undefined), undefined);
  assertEquals(session.subscriptions.size, 0);
  assertEquals([a.active, b.active], [false, false]);
});

Deno.test("Subscriptions restore re-subscribes only what went out before, under the same ids", () => {
  const session = connectedSession();
  const registry = new Subscriptions(session, owner([]));
  const sent = registry.open("/queue/a", {}, 8).subscription;
  registry.open("/queue/b", {}, 8);
  sent.sentOn(1);
  session.reset();
  session.connectFrame();
  session.receive(connected({ version: "1.2" }));
  const restored = registry.restore(2);
  assertEquals(restored.length, 1);
  assertEquals(restored[0]!.subscription, sent);
  assertEquals(restored[0]!.out.frame.headers.get("id"), sent.id);
  assertEquals(restored[0]!.out.receipt !== undefined, true);
  assertEquals(sent.wireEpoch, 2);
});

Deno.test("Subscriptions full, lost and closed reach every subscription", async () => {
  const log: string[] = [];
  const session = connectedSession();
  const registry = new Subscriptions(session, owner(log));
  const { subscription } = registry.open(
    "/queue/a",
    { ack: "client-individual" },
    1,
  );
  const frame = message("/queue/a", "one", {
    messageId: "m-1",
    subscription: subscription.id,
    ack: "a-1",
  });
  const acks = {
    settle: () => Promise.resolve(),
    refuse: (error: Error) => Promise.reject(error),
  };
  subscription.deliver(new Message(frame, subscription, 1, acks));
  assertEquals(registry.full, true);
  registry.lost(1, new Error("lost"));
  assertEquals(subscription.buffered, 0);
  assertEquals(registry.full, false);
  registry.closed(undefined);
  assertEquals(subscription.active, false);
  assertEquals(registry.get(subscription.id), undefined);
  for await (const _ of subscription) throw new Error("no message expected");
  assertEquals(log.includes("resume"), true);
});

Deno.test("Subscriptions full and overfull count subscriptions as their buffers cross one and two high-water marks, and as they drain or end", async () => {
  const session = connectedSession();
  const registry = new Subscriptions(session, owner([]));
  const acks = {
    settle: () => Promise.resolve(),
    refuse: (error: Error) => Promise.reject(error),
  };
  const open = (destination: string) =>
    registry.open(destination, { ack: "client-individual" }, 2).subscription;
  const a = open("/queue/a");
  const b = open("/queue/b");
  // Many below their mark: the count is what full reads, not a walk.
  for (let i = 0; i < 1000; i++) open(`/queue/idle-${i}`);
  let n = 0;
  const deliver = (to: typeof a) =>
    to.deliver(
      new Message(
        message(to.destination, "x", {
          messageId: `m-${++n}`,
          subscription: to.id,
          ack: `a-${n}`,
        }),
        to,
        1,
        acks,
      ),
    );
  const levels = () => [registry.full, registry.overfull];
  deliver(a);
  assertEquals(levels(), [false, false]);
  deliver(a);
  assertEquals(levels(), [true, false]);
  deliver(b);
  deliver(b);
  deliver(a);
  deliver(a);
  assertEquals(levels(), [true, true]);
  // a drains below twice its mark, then below its mark; b still full.
  const reading = a[Symbol.asyncIterator]();
  await reading.next();
  assertEquals(levels(), [true, false]);
  await reading.next();
  await reading.next();
  assertEquals(levels(), [true, false]);
  registry.drop(b.id);
  assertEquals(levels(), [false, false]);
  // Bytes count too: twice highWaterMarkBytes.
  const c = registry.open("/queue/c", {}, 100, 4).subscription;
  deliver(c);
  deliver(c);
  deliver(c);
  deliver(c);
  assertEquals(levels(), [true, false]);
  deliver(c);
  deliver(c);
  deliver(c);
  deliver(c);
  assertEquals(levels(), [true, true]);
  registry.closed(undefined);
  assertEquals(levels(), [false, false]);
});

Deno.test("Subscriptions late takes a MESSAGE or RabbitMQ's ERROR 'Subscription not found' for an id unsubscribed on this connection, nothing else", () => {
  const session = connectedSession();
  const registry = new Subscriptions(session, owner([]));
  const notFound = (id: string, receiptId?: string) =>
    error(
      "Subscription not found",
      `There is no current subscription with tag 'T_${id}'.`,
      receiptId === undefined ? {} : { receiptId },
    );
  const a = registry.open("/queue/a", {}, 8).subscription;
  const b = registry.open("/queue/b", {}, 8).subscription;
  const toA = message("/queue/a", "x", { messageId: "m", subscription: a.id });
  // Nothing unsubscribed yet: every ERROR ends the connection.
  assertEquals(registry.late(notFound(a.id)), false);
  assertEquals(registry.late(toA), false);
  registry.close(a, {});
  assertEquals(registry.late(toA), true);
  assertEquals(registry.late(notFound(a.id)), true);
  // Another id, a receipt, another message, a MESSAGE for b: not late.
  assertEquals(registry.late(notFound(b.id)), false);
  assertEquals(registry.late(notFound(a.id, "r-1")), false);
  assertEquals(registry.late(error("Subscription not found!", "")), false);
  assertEquals(
    registry.late(
      message("/queue/b", "x", { messageId: "m", subscription: b.id }),
    ),
    false,
  );
  // A body without the tag, while something was unsubscribed: late.
  assertEquals(registry.late(error("Subscription not found", "")), true);
  // A new connection remembers nothing of the old one.
  registry.lost(1, new Error("lost"));
  assertEquals(registry.late(toA), false);
  assertEquals(registry.late(notFound(a.id)), false);
});
