// The test broker's store (src/testing/_store.ts): queues, topics and
// redelivery, driven through its Subscriber interface without connections.

import { assert, assertEquals } from "@std/assert";
import { send } from "../src/builders.ts";
import {
  BrokerStore,
  isQueue,
  type StoredMessage,
  type Subscriber,
} from "../src/testing/_store.ts";

/** A subscriber that records what it gets, and takes messages while `open`. */
class Recorder implements Subscriber {
  readonly destination: string;
  readonly got: StoredMessage[] = [];
  open = true;
  /** Most messages held at once (as a prefetch would); 0 is no limit. */
  limit = 0;

  constructor(destination: string) {
    this.destination = destination;
  }

  get unacknowledged(): number {
    return this.got.length;
  }

  ready(): boolean {
    return this.open && (this.limit === 0 || this.got.length < this.limit);
  }

  deliver(message: StoredMessage): void {
    this.got.push(message);
  }

  texts(): string[] {
    return this.got.map((m) => new TextDecoder().decode(m.body));
  }
}

function publish(store: BrokerStore, destination: string, text: string): void {
  store.publish(send(destination, text));
}

Deno.test("isQueue() takes /queue/ and /temp-queue/ for queues, anything else for a topic", () => {
  assert(isQueue("/queue/a"));
  assert(isQueue("/temp-queue/reply"));
  assert(!isQueue("/topic/a"));
  assert(!isQueue("/queuex"));
});

Deno.test("BrokerStore keeps queue messages until a subscriber comes", () => {
  const store = new BrokerStore();
  publish(store, "/queue/a", "one");
  publish(store, "/queue/a", "two");
  assertEquals(store.depth("/queue/a"), 2);
  assertEquals(store.depth("/queue/b"), 0);
  const a = new Recorder("/queue/a");
  store.subscribe(a);
  assertEquals(a.texts(), ["one", "two"]);
  assertEquals(store.depth("/queue/a"), 0);
});

Deno.test("BrokerStore hands queue messages round-robin, skipping subscribers that are not ready", () => {
  const store = new BrokerStore();
  const [a, b, c] = ["a", "b", "c"].map(() => new Recorder("/queue/q"));
  store.subscribe(a!);
  store.subscribe(b!);
  store.subscribe(c!);
  for (const text of ["1", "2", "3", "4"]) publish(store, "/queue/q", text);
  assertEquals([a!.texts(), b!.texts(), c!.texts()], [["1", "4"], ["2"], [
    "3",
  ]]);
  b!.open = false;
  for (const text of ["5", "6", "7"]) publish(store, "/queue/q", text);
  assertEquals([a!.texts(), b!.texts(), c!.texts()], [["1", "4", "6"], ["2"], [
    "3",
    "5",
    "7",
  ]]);
});

Deno.test("BrokerStore holds messages while no subscriber is ready; dispatch() delivers them", () => {
  const store = new BrokerStore();
  const a = new Recorder("/queue/a");
  a.limit = 1;
  store.subscribe(a);
  publish(store, "/queue/a", "one");
  publish(store, "/queue/a", "two");
  assertEquals(a.texts(), ["one"]);
  assertEquals(store.depth("/queue/a"), 1);
  store.dispatch();
  assertEquals(a.texts(), ["one"]);
  a.got.length = 0;
  store.dispatch();
  assertEquals(a.texts(), ["two"]);
  assertEquals(store.depth("/queue/a"), 0);
});

Deno.test("BrokerStore fans topic messages out to every subscriber and keeps none", () => {
  const store = new BrokerStore();
  publish(store, "/topic/t", "before anyone");
  assertEquals(store.depth("/topic/t"), 0);
  const a = new Recorder("/topic/t");
  const b = new Recorder("/topic/t");
  const other = new Recorder("/topic/other");
  store.subscribe(a);
  store.subscribe(b);
  store.subscribe(other);
  // Not ready does not matter on a topic: nothing would keep the message.
  b.open = false;
  publish(store, "/topic/t", "news");
  assertEquals(a.texts(), ["news"]);
  assertEquals(b.texts(), ["news"]);
  assertEquals(other.texts(), []);
  assertEquals(store.depth("/topic/t"), 0);
});

Deno.test("BrokerStore.publish() keeps the SEND's own headers, a copy of its body and a new id", () => {
  const store = new BrokerStore();
  const a = new Recorder("/queue/a");
  store.subscribe(a);
  const body = new TextEncoder().encode("body");
  store.publish(send("/queue/a", body, {
    receipt: "r-1",
    transaction: "tx-1",
    contentType: "text/plain",
    headers: { priority: "4" },
  }));
  publish(store, "/queue/a", "second");
  body[0] = 0x42;
  const [first, second] = a.got;
  assertEquals(first!.id, "m-1");
  assertEquals(second!.id, "m-2");
  assertEquals(first!.destination, "/queue/a");
  assertEquals(new TextDecoder().decode(first!.body), "body");
  assert(first!.body.buffer !== body.buffer, "the body was not copied");
  assertEquals(first!.redelivered, false);
  const names = first!.headers.map(([name]) => name);
  assertEquals(names.sort(), ["content-type", "priority"]);
});

Deno.test("BrokerStore.requeue() puts messages back at the head of their queue, marked redelivered", () => {
  const store = new BrokerStore();
  const a = new Recorder("/queue/a");
  a.limit = 2;
  store.subscribe(a);
  for (const text of ["1", "2", "3"]) publish(store, "/queue/a", text);
  const given = a.got.splice(0);
  a.open = false;
  store.requeue(given);
  assertEquals(store.depth("/queue/a"), 3);
  a.open = true;
  store.dispatch();
  assertEquals(a.texts(), ["1", "2"]);
  assertEquals(a.got.map((m) => m.redelivered), [true, true]);
});

Deno.test("BrokerStore.requeue() drops topic messages", () => {
  const store = new BrokerStore();
  const a = new Recorder("/topic/t");
  store.subscribe(a);
  publish(store, "/topic/t", "news");
  const given = a.got.splice(0);
  store.requeue(given);
  assertEquals(store.depth("/topic/t"), 0);
  assertEquals(a.got, []);
  assertEquals(given[0]!.redelivered, false);
});

Deno.test("BrokerStore.unsubscribe() stops deliveries and gives back what was unacknowledged", () => {
  const store = new BrokerStore();
  const a = new Recorder("/queue/a");
  const b = new Recorder("/queue/a");
  store.subscribe(a);
  publish(store, "/queue/a", "one");
  store.subscribe(b);
  b.open = false;
  store.unsubscribe(a, a.got.splice(0));
  assertEquals(store.depth("/queue/a"), 1);
  b.open = true;
  store.dispatch();
  assertEquals(b.texts(), ["one"]);
  assertEquals(b.got[0]!.redelivered, true);
  publish(store, "/queue/a", "two");
  assertEquals(a.texts(), []);

  const t = new Recorder("/topic/t");
  store.subscribe(t);
  store.unsubscribe(t, []);
  publish(store, "/topic/t", "news");
  assertEquals(t.texts(), []);
});

Deno.test("BrokerStore.unacknowledged() adds up the subscribers of one destination", () => {
  const store = new BrokerStore();
  const a = new Recorder("/queue/a");
  const b = new Recorder("/queue/a");
  const t = new Recorder("/topic/t");
  for (const s of [a, b, t]) store.subscribe(s);
  for (const text of ["1", "2", "3"]) publish(store, "/queue/a", text);
  publish(store, "/topic/t", "news");
  assertEquals(store.unacknowledged("/queue/a"), 3);
  assertEquals(store.unacknowledged("/topic/t"), 1);
  assertEquals(store.unacknowledged("/queue/none"), 0);
});

Deno.test("BrokerStore forgets a queue left with no messages and no subscribers", () => {
  const store = new BrokerStore();
  for (let i = 0; i < 100; i++) {
    const subscriber = new Recorder(`/queue/q${i}`);
    store.subscribe(subscriber);
    publish(store, `/queue/q${i}`, "taken");
    store.unsubscribe(subscriber, []);
  }
  publish(store, "/queue/kept", "waiting");
  assertEquals(store.destinations, 1);
  // A message given back recreates its queue.
  const late = new Recorder("/queue/late");
  store.subscribe(late);
  publish(store, "/queue/late", "back");
  store.unsubscribe(late, late.got);
  assertEquals(store.depth("/queue/late"), 1);
  assertEquals(store.destinations, 2);
});

Deno.test("BrokerStore.dispatch() costs the queues with waiting messages, not every queue subscribed", () => {
  // Timed, with a wide margin: walking 20,000 idle queues on each of 2,000
  // dispatches was about 1,000 times the cost of walking one.
  const timeDispatches = (idle: number) => {
    const store = new BrokerStore();
    for (let i = 0; i < idle; i++) {
      store.subscribe(new Recorder(`/queue/idle${i}`));
    }
    const held = new Recorder("/queue/held");
    held.open = false;
    store.subscribe(held);
    publish(store, "/queue/held", "waiting");
    let best = Infinity;
    for (let round = 0; round < 5; round++) {
      const start = performance.now();
      for (let i = 0; i < 2000; i++) store.dispatch();
      best = Math.min(best, performance.now() - start);
    }
    return best;
  };
  const one = timeDispatches(0);
  const many = timeDispatches(20_000);
  assert(
    many < Math.max(one * 20, 5),
    `2,000 dispatches: ${many.toFixed(2)} ms with 20,000 idle queues, ${
      one.toFixed(2)
    } ms with none`,
  );
});
