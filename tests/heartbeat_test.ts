// The shared heart-beat code (src/_heartbeat.ts) that the client and the test
// broker keep their heart-beats with: the header, the negotiation and the
// scheduler, on a clock moved by hand.

import { assert, assertEquals } from "@std/assert";
import {
  HEARTBEAT_EARLY,
  HeartBeatScheduler,
  negotiateHeartBeat,
  negotiateHeartBeats,
  parseHeartBeat,
  silenceLimit,
  SYSTEM_TIMERS,
} from "../src/_heartbeat.ts";
import { ManualTimers } from "../src/testing/manual_timers.ts";
import { receipt } from "@stomper/stomp";
import { StompClient } from "@stomper/stomp/client";
import { scriptedServer } from "./_peer.ts";

/** A host that records when it was asked to beat and when the peer fell silent. */
class Host {
  readonly beats: number[] = [];
  readonly silences: [number, number, number][] = [];
  /** Whether beat() writes (false: a write is under way). */
  writes = true;
  pausedNow = false;
  readonly #timers: { now(): number };

  constructor(timers: { now(): number }) {
    this.#timers = timers;
  }

  beat(): boolean {
    if (this.writes) this.beats.push(this.#timers.now());
    return this.writes;
  }

  silent(silent: number, limit: number): void {
    this.silences.push([this.#timers.now(), silent, limit]);
  }

  paused(): boolean {
    return this.pausedNow;
  }
}

function setup(): {
  timers: ManualTimers;
  host: Host;
  scheduler: HeartBeatScheduler;
} {
  const timers = new ManualTimers();
  const host = new Host(timers);
  return { timers, host, scheduler: new HeartBeatScheduler(timers, host) };
}

Deno.test("parseHeartBeat() reads two integers, with blanks around them", () => {
  assertEquals(parseHeartBeat("1000,2000"), [1000, 2000]);
  assertEquals(parseHeartBeat(" 10 , 20 "), [10, 20]);
  assertEquals(parseHeartBeat("0,0"), [0, 0]);
});

Deno.test("parseHeartBeat() takes a missing header for no heart-beats", () => {
  assertEquals(parseHeartBeat(undefined), [0, 0]);
});

Deno.test("parseHeartBeat() rejects anything but two non-negative integers", () => {
  for (
    const bad of ["", "1000", "a,b", "-1,0", "1,2,3", "1.5,2", "1000,", ",1"]
  ) {
    assertEquals(parseHeartBeat(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("negotiateHeartBeat() turns a direction off on 0, else takes the larger", () => {
  assertEquals(negotiateHeartBeat(0, 5000), 0);
  assertEquals(negotiateHeartBeat(5000, 0), 0);
  assertEquals(negotiateHeartBeat(1000, 5000), 5000);
  assertEquals(negotiateHeartBeat(7000, 5000), 7000);
});

Deno.test("negotiateHeartBeats() pairs what one end sends with what the other wants", () => {
  // This end sends every 1 s and wants 4 s; the peer sends 3 s, wants 2 s.
  assertEquals(negotiateHeartBeats([1000, 4000], [3000, 2000]), {
    send: 2000,
    receive: 4000,
  });
  assertEquals(negotiateHeartBeats([1000, 0], [3000, 2000]), {
    send: 2000,
    receive: 0,
  });
  assertEquals(negotiateHeartBeats([0, 4000], [0, 2000]), {
    send: 0,
    receive: 0,
  });
});

Deno.test("silenceLimit() is grace intervals, rounded up to a millisecond", () => {
  assertEquals(silenceLimit(1000, 2), 2000);
  assertEquals(silenceLimit(1001, 1.5), 1502);
});

Deno.test("HeartBeatScheduler beats each time the link has been idle for the early share of the interval", async () => {
  const { timers, host, scheduler } = setup();
  assertEquals(HEARTBEAT_EARLY, 0.8);
  scheduler.start({ send: 1000, receive: 0 }, 2);
  await timers.advance(799);
  assertEquals(host.beats, []);
  await timers.advance(1);
  assertEquals(host.beats, [800]);
  await timers.advance(1600);
  assertEquals(host.beats, [800, 1600, 2400]);
  scheduler.stop();
});

Deno.test("HeartBeatScheduler does not beat when something else was written recently", async () => {
  const { timers, host, scheduler } = setup();
  scheduler.start({ send: 1000, receive: 0 }, 2);
  await timers.advance(700);
  scheduler.sent();
  // Due at 800 from the start, but only 100 ms idle then: next at 700 + 800.
  await timers.advance(799);
  assertEquals(host.beats, []);
  await timers.advance(1);
  assertEquals(host.beats, [1500]);
  scheduler.stop();
});

Deno.test("HeartBeatScheduler asks again 1 ms later when the host lets a beat pass", async () => {
  const { timers, host, scheduler } = setup();
  scheduler.start({ send: 1000, receive: 0 }, 2);
  host.writes = false;
  await timers.advance(804);
  assertEquals(host.beats, []);
  host.writes = true;
  await timers.advance(1);
  assertEquals(host.beats, [805]);
  await timers.advance(800);
  assertEquals(host.beats, [805, 1605]);
  scheduler.stop();
});

Deno.test("HeartBeatScheduler reports the peer silent at exactly grace intervals", async () => {
  const { timers, host, scheduler } = setup();
  scheduler.start({ send: 0, receive: 1000 }, 2);
  await timers.advance(1999);
  assertEquals(host.silences, []);
  await timers.advance(1);
  assertEquals(host.silences, [[2000, 2000, 2000]]);
  // It stopped itself: nothing more is reported.
  assertEquals(timers.pending, 0);
});

Deno.test("HeartBeatScheduler counts silence from the last byte received", async () => {
  const { timers, host, scheduler } = setup();
  scheduler.start({ send: 0, receive: 1000 }, 2);
  await timers.advance(1500);
  scheduler.received();
  await timers.advance(1999);
  assertEquals(host.silences, []);
  await timers.advance(1);
  assertEquals(host.silences, [[3500, 2000, 2000]]);
});

Deno.test("HeartBeatScheduler rounds a fractional grace's limit up", async () => {
  const { timers, host, scheduler } = setup();
  scheduler.start({ send: 0, receive: 1001 }, 1.5);
  await timers.advance(1501);
  assertEquals(host.silences, []);
  await timers.advance(1);
  assertEquals(host.silences, [[1502, 1502, 1502]]);
});

Deno.test("HeartBeatScheduler does not count a paused reader's time as the peer's silence", async () => {
  const { timers, host, scheduler } = setup();
  scheduler.start({ send: 0, receive: 1000 }, 2);
  host.pausedNow = true;
  await timers.advance(10_000);
  assertEquals(host.silences, []);
  // Paused until 10 000 (the last check), then silent for the limit.
  host.pausedNow = false;
  await timers.advance(1999);
  assertEquals(host.silences, []);
  await timers.advance(1);
  assertEquals(host.silences, [[12_000, 2000, 2000]]);
});

Deno.test("HeartBeatScheduler leaves a direction negotiated to 0 off", async () => {
  const { timers, host, scheduler } = setup();
  scheduler.start({ send: 0, receive: 0 }, 2);
  assertEquals(timers.pending, 0);
  await timers.advance(60_000);
  assertEquals(host.beats, []);
  assertEquals(host.silences, []);
});

Deno.test("HeartBeatScheduler.stop() ends both timers", async () => {
  const { timers, host, scheduler } = setup();
  scheduler.start({ send: 1000, receive: 1000 }, 2);
  assertEquals(timers.pending, 2);
  await timers.advance(800);
  scheduler.stop();
  assertEquals(timers.pending, 0);
  await timers.advance(60_000);
  assertEquals(host.beats, [800]);
  assertEquals(host.silences, []);
});

Deno.test("HeartBeatScheduler stops beating once the peer is reported silent", async () => {
  const { timers, host, scheduler } = setup();
  scheduler.start({ send: 1000, receive: 1000 }, 1);
  await timers.advance(5000);
  assertEquals(host.beats, [800]);
  assertEquals(host.silences, [[1000, 1000, 1000]]);
  assertEquals(timers.pending, 0);
});

Deno.test("HeartBeatScheduler runs on the runtime's timers", async () => {
  const host = new Host(SYSTEM_TIMERS);
  const scheduler = new HeartBeatScheduler(SYSTEM_TIMERS, host);
  const silent = Promise.withResolvers<void>();
  host.silent = () => silent.resolve();
  scheduler.start({ send: 10, receive: 100 }, 1);
  await silent.promise;
  assert(host.beats.length >= 2, `${host.beats.length} beats`);
});

Deno.test("HeartBeatScheduler waits out intervals longer than timers take in steps, never in a 1 ms loop", async () => {
  // A peer may negotiate any interval: 3,000,000,000 ms is past the 2^31 - 1
  // ms that runtimes' timers take (a longer delay fires after about 1 ms).
  const delays: number[] = [];
  const counting = {
    setTimeout: (callback: () => void, delay: number) => {
      delays.push(delay);
      return SYSTEM_TIMERS.setTimeout(callback, delay);
    },
    clearTimeout: (handle: unknown) => SYSTEM_TIMERS.clearTimeout(handle),
    now: () => SYSTEM_TIMERS.now(),
  };
  const host = new Host(counting);
  const scheduler = new HeartBeatScheduler(counting, host);
  scheduler.start({ send: 3_000_000_000, receive: 3_000_000_000 }, 2);
  await new Promise((resolve) => setTimeout(resolve, 60));
  scheduler.stop();
  assert(delays.every((delay) => delay <= 2 ** 31 - 1), `${delays}`);
  assertEquals(delays.length, 2, "one timer per direction, none refired");
  assertEquals(host.beats, []);
  assertEquals(host.silences, []);
});

// The values a hostile server was seen to send: past 2^32, past 2^31, and
// 400 digits (Infinity as a number). Each is valid STOMP: no bound is set.
for (
  const value of [
    "3000000000,3000000000",
    "4294967297,4000000000",
    "2147483648,0",
    `${"9".repeat(400)},${"9".repeat(400)}`,
  ]
) {
  const shown = value.length > 30 ? "400 nines" : value;
  Deno.test(`StompClient stays idle with a scripted server that negotiates heart-beat:${shown} (no real broker offers that)`, async () => {
    await idleWithHeartBeat(value);
  });
}

async function idleWithHeartBeat(value: string): Promise<void> {
  await using server = scriptedServer(async (peer) => {
    assertEquals((await peer.next()).command, "CONNECT");
    await peer.send(
      new TextEncoder().encode(
        `CONNECTED\nversion:1.2\nheart-beat:${value}\n\n\0`,
      ),
    );
    const bye = await peer.expect("DISCONNECT", 10_000);
    await peer.send(receipt(bye.headers.get("receipt")!));
  });
  let timers = 0;
  const counting = {
    setTimeout: (callback: () => void, delay: number) => {
      timers++;
      return SYSTEM_TIMERS.setTimeout(callback, delay);
    },
    clearTimeout: (handle: unknown) => SYSTEM_TIMERS.clearTimeout(handle),
    now: () => SYSTEM_TIMERS.now(),
  };
  await using client = await StompClient.connectUrl(server.url, {
    heartBeat: [10, 10],
    timers: counting,
  });
  assertEquals(client.state, "connected");
  const before = timers;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assertEquals(client.state, "connected");
  // A timer refiring every millisecond would have been set about 100 times.
  assert(timers - before <= 4, `${timers - before} timers in 100 ms`);
}
