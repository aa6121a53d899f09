// The soak: producers publish N messages (mixed sizes, persistent, a receipt
// on each as the publisher confirm) to a quorum queue on the three-node
// RabbitMQ cluster of scripts/brokers.sh, through the client's failover list,
// while consumers take them with client-individual acks and a prefetch, and
// a chaos schedule kills and revives cluster nodes and cuts connections
// through a fault-injecting relay in front of each node. At the end it
// proves that every confirmed message was received (0 lost), counts the
// duplicates and explains each (redelivered, or sent again after an
// unconfirmed attempt), checks every body, and reports memory and
// throughput over time.
//
//   bash scripts/brokers.sh cluster start
//   deno task soak                 # 1,000,000 messages, a node kill every 10%
//   deno task soak --profile=ci    # 50,000 messages, one node kill, one cut
//
// Flags: --count=N --producers=N --consumers=N --window=N (receipts in
// flight per producer) --prefetch=N --seed=N --json=FILE --profile=full|ci.
// The cluster's STOMP URLs come from STOMPER_CLUSTER_URLS (`brokers.sh
// cluster env`). Exits 0 only when nothing was lost, nothing was corrupt and
// every duplicate is explained.

import { StompClient, type StompMessage } from "@stomper/stomp/client";
import { flag } from "../bench/_args.ts";
import { ChaosRelay } from "../_chaos.ts";

interface Profile {
  readonly count: number;
  /** Node kills, at these fractions of the messages confirmed. */
  readonly kills: readonly number[];
  /** Connection cuts through every relay, at these fractions. */
  readonly cuts: readonly number[];
  /** Seconds a killed node stays down. */
  readonly down: number;
}

const PROFILES: Record<string, Profile> = {
  full: {
    count: 1_000_000,
    kills: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    cuts: [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95],
    down: 15,
  },
  ci: { count: 50_000, kills: [0.3], cuts: [0.65], down: 10 },
};

const profileName = flag("profile") ?? "full";
const profile: Profile = PROFILES[profileName] ??
  usage(`unknown profile "${profileName}" (full or ci)`);
const count = int("count", profile.count);
const producers = int("producers", 2);
const consumers = int("consumers", 2);
const window = int("window", 64);
const prefetch = int("prefetch", 200);
const seed = int("seed", Math.floor(Math.random() * 2 ** 31));
const jsonPath = flag("json");
const urls = (Deno.env.get("STOMPER_CLUSTER_URLS") ?? "").split(",").filter(
  Boolean,
);
if (urls.length === 0) {
  usage(
    'STOMPER_CLUSTER_URLS is not set: run `bash scripts/brokers.sh cluster start` and `eval "$(bash scripts/brokers.sh cluster env)"`',
  );
}

function usage(message: string): never {
  console.error(`soak: ${message}`);
  Deno.exit(2);
}

function int(name: string, fallback: number): number {
  const text = flag(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    usage(`--${name} must be a non-negative integer, got "${text}"`);
  }
  return value;
}

// --- messages: sizes and bodies derived from the id, so the consumer checks
// every byte without keeping anything --------------------------------------

/** The size of message `i` of producer `p`: mostly small, a few up to 256 KiB. */
function sizeOf(p: number, i: number): number {
  const r = hash(seed, p, i);
  const pick = (r >>> 0) % 1000;
  const spread = hash(r, 1, 2) >>> 0;
  if (pick < 900) return 10 + spread % 991; // 90 %: 10 B - 1000 B
  if (pick < 990) return 1001 + spread % 15384; // 9 %: up to 16 KiB
  return 16385 + spread % (256 * 1024 - 16384); // 1 %: up to 256 KiB
}

function hash(a: number, b: number, c: number): number {
  let h = (a ^ 0x9e3779b9) | 0;
  h = Math.imul(h ^ b, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ c, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** The body of message `i` of producer `p`: its size in a known pattern. */
function bodyOf(p: number, i: number): Uint8Array {
  const body = new Uint8Array(sizeOf(p, i));
  const start = hash(seed, i, p) & 0xff;
  for (let k = 0; k < body.length; k++) body[k] = (start + k) & 0xff;
  return body;
}

function bodyIsRight(p: number, i: number, body: Uint8Array): boolean {
  if (body.length !== sizeOf(p, i)) return false;
  const start = hash(seed, i, p) & 0xff;
  for (let k = 0; k < body.length; k++) {
    if (body[k] !== ((start + k) & 0xff)) return false;
  }
  return true;
}

// --- bookkeeping ------------------------------------------------------------

const perProducer = Math.ceil(count / producers);
const total = perProducer * producers;
/** Per producer, per message: 1 once its receipt came. */
const confirmed = Array.from(
  { length: producers },
  () => new Uint8Array(perProducer),
);
/** Per producer, per message: times received (saturating at 255). */
const received = Array.from(
  { length: producers },
  () => new Uint8Array(perProducer),
);
/** Per producer, per message: attempts made to send it. */
const attempts = Array.from(
  { length: producers },
  () => new Uint8Array(perProducer),
);
const tally = {
  confirmed: 0,
  received: 0,
  unique: 0,
  duplicates: 0,
  redelivered: 0,
  resentDuplicates: 0,
  unexplained: 0,
  corrupt: 0,
  resends: 0,
  ackFailures: 0,
  sendErrors: new Map<string, number>(),
};
const events: { t: number; what: string }[] = [];
const started = performance.now();
const seconds = () => (performance.now() - started) / 1000;
const note = (what: string) => {
  events.push({ t: Math.round(seconds() * 10) / 10, what });
  console.error(`soak: ${seconds().toFixed(1)} s ${what}`);
};

// --- the relays in front of the nodes, and the chaos ------------------------

const relays = urls.map((url) =>
  ChaosRelay.start({ port: Number(new URL(url).port) })
);
const relayUrls = relays.map((relay) => `tcp://127.0.0.1:${relay.port}`);
const queue = `soak-${seed}`;

async function brokers(...args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("bash", {
    args: ["scripts/brokers.sh", "cluster", ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `brokers.sh cluster ${args.join(" ")} failed: ${
        new TextDecoder().decode(stderr)
      }`,
    );
  }
}

let kills = 0;
let cuts = 0;
const chaos: Promise<void>[] = [];
function chaosAt(fraction: number): void {
  while (kills < profile.kills.length && fraction >= profile.kills[kills]!) {
    const node = (kills % urls.length) + 1;
    kills++;
    chaos.push((async () => {
      note(`kill node ${node}`);
      await brokers("kill", String(node));
      await new Promise((resolve) => setTimeout(resolve, profile.down * 1000));
      note(`revive node ${node}`);
      await brokers("revive", String(node));
      note(`node ${node} back`);
    })());
  }
  while (cuts < profile.cuts.length && fraction >= profile.cuts[cuts]!) {
    cuts++;
    const cut = relays.reduce((sum, relay) => sum + relay.cut(), 0);
    note(`cut ${cut} connections`);
  }
}

// --- clients ---------------------------------------------------------------

const RECONNECT = {
  retries: 1000,
  initialDelay: 100,
  maxDelay: 2000,
  stableAfter: 5000,
};

function connect(first: number): Promise<StompClient> {
  // Each client starts on a different node, then rotates.
  const list = relayUrls.map((_, k) =>
    relayUrls[(first + k) % relayUrls.length]!
  );
  return StompClient.connectUrl(list, {
    login: "guest",
    passcode: "guest",
    heartBeat: [2000, 2000],
    reconnect: RECONNECT,
    receiptTimeout: 60_000,
  });
}

const QUEUE_HEADERS = {
  "x-queue-type": "quorum",
  durable: "true",
  "auto-delete": "false",
};

async function consume(client: StompClient, stop: Promise<void>) {
  const subscription = await client.subscribe(`/queue/${queue}`, {
    ack: "client-individual",
    receipt: true,
    headers: { ...QUEUE_HEADERS, "prefetch-count": String(prefetch) },
    highWaterMark: prefetch * 2,
  });
  const ended = stop.then(() => subscription.unsubscribe().catch(() => {}));
  for await (const message of subscription) take(message);
  await ended;
}

function take(message: StompMessage): void {
  const id = message.headers.get("x-soak-id") ?? "";
  const [p, i] = id.split(":").map(Number) as [number, number];
  const counts = received[p];
  if (counts === undefined || !(i >= 0 && i < perProducer)) {
    tally.corrupt++;
  } else {
    tally.received++;
    if (!bodyIsRight(p, i, message.body)) tally.corrupt++;
    if (counts[i] === 0) tally.unique++;
    else {
      tally.duplicates++;
      if (message.headers.get("redelivered") === "true") tally.redelivered++;
      else if (attempts[p]![i]! > 1) tally.resentDuplicates++;
      else tally.unexplained++;
    }
    if (counts[i]! < 255) counts[i]!++;
  }
  message.ack().catch(() => tally.ackFailures++);
}

async function produce(client: StompClient, p: number): Promise<void> {
  const inflight = new Set<Promise<void>>();
  for (let i = 0; i < perProducer; i++) {
    const sending = sendOne(client, p, i).finally(() =>
      inflight.delete(sending)
    );
    inflight.add(sending);
    if (inflight.size >= window) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

async function sendOne(client: StompClient, p: number, i: number) {
  const body = bodyOf(p, i);
  while (true) {
    attempts[p]![i]!++;
    try {
      await client.send(`/amq/queue/${queue}`, body, {
        receipt: true,
        headers: {
          persistent: "true",
          "x-soak-id": `${p}:${i}`,
          "content-type": "application/octet-stream",
        },
      });
      confirmed[p]![i] = 1;
      tally.confirmed++;
      if (tally.confirmed % Math.max(1, Math.floor(total / 100)) === 0) {
        chaosAt(tally.confirmed / total);
      }
      return;
    } catch (error) {
      // Unconfirmed: the broker may or may not have it; send it again (a
      // duplicate that may come is explained by the attempt count).
      tally.resends++;
      const name = error instanceof Error ? error.name : "Error";
      tally.sendErrors.set(name, (tally.sendErrors.get(name) ?? 0) + 1);
      if (client.state === "closed") throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

// --- sampling ---------------------------------------------------------------

const timeline: {
  t: number;
  confirmed: number;
  received: number;
  rss: number;
}[] = [];
const sampler = setInterval(() => {
  timeline.push({
    t: Math.round(seconds()),
    confirmed: tally.confirmed,
    received: tally.received,
    rss: Deno.memoryUsage().rss,
  });
  const last = timeline.at(-1)!;
  if (timeline.length % 10 === 0) {
    console.error(
      `soak: ${last.t} s confirmed ${last.confirmed}/${total} received ${last.received} rss ${
        (last.rss / 2 ** 20).toFixed(0)
      } MiB`,
    );
  }
}, 1000);

// --- the run ----------------------------------------------------------------

console.error(
  `soak: profile ${profileName}, ${total} messages, ${producers} producers, ${consumers} consumers, window ${window}, prefetch ${prefetch}, seed ${seed}, nodes ${
    urls.join(" ")
  }`,
);
const consumerClients = await Promise.all(
  Array.from({ length: consumers }, (_, k) => connect(k)),
);
const stop = Promise.withResolvers<void>();
const consuming = consumerClients.map((client) =>
  consume(client, stop.promise)
);
// The queue exists once the first consumer's SUBSCRIBE is confirmed.
await new Promise((resolve) => setTimeout(resolve, 500));
const producerClients = await Promise.all(
  Array.from({ length: producers }, (_, k) => connect(k + consumers)),
);
const publishStart = performance.now();
await Promise.all(producerClients.map((client, p) => produce(client, p)));
const publishSeconds = (performance.now() - publishStart) / 1000;
note("all confirmed");
await Promise.all(chaos);

// Every confirmed message must arrive: wait for the stragglers.
const drainLimit = performance.now() + 180_000;
const missing = () => {
  let n = 0;
  for (let p = 0; p < producers; p++) {
    for (let i = 0; i < perProducer; i++) {
      if (confirmed[p]![i] === 1 && received[p]![i] === 0) n++;
    }
  }
  return n;
};
while (missing() > 0 && performance.now() < drainLimit) {
  await new Promise((resolve) => setTimeout(resolve, 500));
}
// Late redeliveries still count as duplicates: a short grace.
await new Promise((resolve) => setTimeout(resolve, 2000));
const lost = missing();
clearInterval(sampler);
stop.resolve();
await Promise.all(producerClients.map((client) => client.disconnect()));
await Promise.all(consumerClients.map((client) => client.disconnect()));
await Promise.allSettled(consuming);
for (const relay of relays) await relay[Symbol.asyncDispose]();

// --- the report -------------------------------------------------------------

const rss = timeline.map((s) => s.rss);
const half = Math.floor(rss.length / 2);
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const firstHalfMax = Math.max(...rss.slice(0, Math.max(1, half)));
const secondHalfMax = Math.max(...rss.slice(half));
// Per second while publishing (the wait for stragglers is not a rate).
const publishing = timeline.filter((s) =>
  s.t <= (publishStart - started) / 1000 + publishSeconds
);
const rates = publishing.map((s, k) =>
  k === 0 ? s.confirmed : s.confirmed - publishing[k - 1]!.confirmed
);
const sortedRates = [...rates].sort((a, b) => a - b);
const pct = (q: number) =>
  sortedRates[Math.floor(q * (sortedRates.length - 1))] ?? 0;
const ok = lost === 0 && tally.corrupt === 0 && tally.unexplained === 0;
const result = {
  profile: profileName,
  seed,
  messages: total,
  producers,
  consumers,
  window,
  prefetch,
  confirmed: tally.confirmed,
  received: tally.received,
  unique: tally.unique,
  lost,
  duplicates: tally.duplicates,
  redelivered: tally.redelivered,
  resentDuplicates: tally.resentDuplicates,
  unexplainedDuplicates: tally.unexplained,
  corrupt: tally.corrupt,
  resends: tally.resends,
  sendErrors: Object.fromEntries(tally.sendErrors),
  ackFailures: tally.ackFailures,
  nodeKills: kills,
  connectionCuts: cuts,
  seconds: Math.round(seconds()),
  publishSeconds: Math.round(publishSeconds),
  messagesPerSecond: Math.round(tally.confirmed / publishSeconds),
  perSecond: { p10: pct(0.1), p50: pct(0.5), p90: pct(0.9) },
  rssMiB: {
    firstHalfMax: mib(firstHalfMax),
    secondHalfMax: mib(secondHalfMax),
    max: mib(Math.max(...rss)),
  },
  events,
  timeline,
  ok,
};
if (jsonPath !== undefined) {
  await Deno.writeTextFile(jsonPath, JSON.stringify(result, null, 2) + "\n");
}
const rows: [string, string | number][] = [
  ["profile", `${profileName} (seed ${seed})`],
  ["messages confirmed", `${tally.confirmed} of ${total}`],
  ["lost (confirmed, never received)", lost],
  [
    "duplicates",
    `${tally.duplicates} (${tally.redelivered} redelivered, ${tally.resentDuplicates} sent again after an unconfirmed attempt, ${tally.unexplained} unexplained)`,
  ],
  ["corrupt bodies", tally.corrupt],
  ["sends retried", tally.resends],
  ["node kills / connection cuts", `${kills} / ${cuts}`],
  [
    "publish rate",
    `${result.messagesPerSecond} msg/s (per second p10 ${pct(0.1)}, p50 ${
      pct(0.5)
    }, p90 ${pct(0.9)})`,
  ],
  [
    "RSS",
    `max ${result.rssMiB.firstHalfMax} MiB in the first half, ${result.rssMiB.secondHalfMax} MiB in the second`,
  ],
  ["elapsed", `${result.seconds} s`],
];
console.log("| | |\n| --- | --- |");
for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
console.log(ok ? "soak: ok" : "soak: FAILED");
Deno.exit(ok ? 0 : 1);
