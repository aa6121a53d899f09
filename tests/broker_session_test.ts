// The test broker's per-connection session (src/testing/_session.ts) on an
// in-memory wire and a clock moved by hand: its heart-beats, which the
// broker runs on the runtime's clock, and its back-pressure, which needs a
// wire that holds writes. The protocol over real sockets is in
// broker_test.ts.

import { assert, assertEquals } from "@std/assert";
import { connect, send, subscribe } from "../src/builders.ts";
import { StompDecoder } from "../src/decoder.ts";
import { encodeFrame } from "../src/encoder.ts";
import type { StompFrame } from "../src/frame.ts";
import {
  BrokerSession,
  type SessionHost,
  type SessionOptions,
  type Wire,
} from "../src/testing/_session.ts";
import { BrokerStore } from "../src/testing/_store.ts";
import { ManualTimers } from "../src/testing/manual_timers.ts";

/** A wire in memory: keeps what is written; holds writes while `hold`. */
class MemoryWire implements Wire {
  readonly written: Uint8Array[] = [];
  readonly #held: (() => void)[] = [];
  hold = false;
  closed = false;

  write(bytes: Uint8Array): Promise<void> {
    if (bytes.length > 0) this.written.push(bytes);
    if (!this.hold) return Promise.resolve();
    return new Promise((resolve) => this.#held.push(resolve));
  }

  close(): void {
    this.closed = true;
  }

  /** Lets every held write complete. */
  release(): void {
    this.hold = false;
    for (const resolve of this.#held.splice(0)) resolve();
  }

  /** What was written, decoded: frames and heart-beats (`"EOL"`) in order. */
  decoded(): (StompFrame | "EOL")[] {
    const out: (StompFrame | "EOL")[] = [];
    const decoder = new StompDecoder({ onHeartbeat: () => out.push("EOL") });
    for (const bytes of this.written) {
      decoder.decode(bytes, (frame) => out.push(frame));
    }
    return out;
  }

  /** The commands written, with "EOL" for a heart-beat. */
  commands(): string[] {
    return this.decoded().map((f) => f === "EOL" ? "EOL" : f.command);
  }
}

interface Fixture {
  timers: ManualTimers;
  wire: MemoryWire;
  store: BrokerStore;
  session: BrokerSession;
  closed: BrokerSession[];
  heartbeats: () => number;
}

function open(options: Partial<SessionOptions> = {}): Fixture {
  const timers = new ManualTimers();
  const wire = new MemoryWire();
  const store = new BrokerStore();
  const closed: BrokerSession[] = [];
  let heartbeats = 0;
  const host: SessionHost = {
    authenticate: () => true,
    frame: () => {},
    heartbeat: () => heartbeats++,
    closed: (session) => closed.push(session),
  };
  const session = new BrokerSession(
    "c1",
    wire,
    {
      versions: ["1.0", "1.1", "1.2"],
      heartBeat: [1000, 1000],
      heartBeatGrace: 2,
      server: "test",
      // Off here, so that an EOL in these traces is a heart-beat; the
      // broker's default (on) is tested on its own below.
      eolAfterFrame: false,
      maxUnwrittenBytes: 16 * 1024 * 1024,
      timers,
      ...options,
    },
    host,
    store,
  );
  return {
    timers,
    wire,
    store,
    session,
    closed,
    heartbeats: () => heartbeats,
  };
}

const EOL = new Uint8Array([0x0a]);

Deno.test("BrokerSession beats at the negotiated interval and drops a client silent for grace intervals (in-memory wire)", async () => {
  const { timers, wire, session, closed, heartbeats } = open();
  // The client sends every 500 ms, wants 2000: the broker beats every 2000
  // (due at 1600) and expects every 1000, so drops it after 2000 silent.
  session.receive(
    encodeFrame(connect({ host: "/", heartBeat: [500, 2000] })),
  );
  const [connected] = wire.decoded();
  assert(connected !== "EOL" && connected?.command === "CONNECTED");
  assertEquals(connected.headers.get("heart-beat"), "1000,1000");
  assertEquals(connected.headers.get("session"), "c1");
  await timers.advance(1000);
  session.receive(EOL);
  assertEquals(heartbeats(), 1);
  await timers.advance(599);
  assertEquals(wire.commands(), ["CONNECTED"]);
  await timers.advance(1);
  assertEquals(wire.commands(), ["CONNECTED", "EOL"]);
  // Silent since 1000: the limit is reached at 3000.
  await timers.advance(1399);
  assertEquals(closed, []);
  await timers.advance(1);
  assertEquals(closed, [session]);
  assert(wire.closed);
  assert(session.closed);
  assertEquals(timers.pending, 0);
});

Deno.test("BrokerSession does not beat when it wrote a frame recently (in-memory wire)", async () => {
  const { timers, wire, session } = open();
  session.receive(encodeFrame(connect({ host: "/", heartBeat: [0, 2000] })));
  await timers.advance(1000);
  session.receive(encodeFrame(send("/queue/a", "x", { receipt: "r" })));
  await timers.advance(600);
  assertEquals(wire.commands(), ["CONNECTED", "RECEIPT"]);
  await timers.advance(999);
  assertEquals(wire.commands(), ["CONNECTED", "RECEIPT"]);
  await timers.advance(1);
  assertEquals(wire.commands(), ["CONNECTED", "RECEIPT", "EOL"]);
  session.close();
});

Deno.test("BrokerSession keeps no heart-beats when the client offers none (in-memory wire)", async () => {
  const { timers, wire, session, closed } = open();
  session.receive(encodeFrame(connect({ host: "/" })));
  assertEquals(timers.pending, 0);
  await timers.advance(60_000);
  assertEquals(wire.commands(), ["CONNECTED"]);
  assertEquals(closed, []);
  session.close();
});

Deno.test("BrokerSession refuses an invalid heart-beat header with ERROR and closes (in-memory wire)", async () => {
  const { wire, session, closed } = open();
  session.receive(
    new TextEncoder().encode(
      "CONNECT\naccept-version:1.2\nhost:/\nheart-beat:soon\n\n\0",
    ),
  );
  const [error] = wire.decoded();
  assert(error !== "EOL" && error?.command === "ERROR");
  assertEquals(error.headers.get("message"), "Invalid heart-beat header");
  assertEquals(error.text, 'Expected two integers, got "soon"');
  await Promise.resolve();
  assertEquals(closed, [session]);
});

Deno.test("BrokerSession stops taking queue messages while its writes do not drain (in-memory wire)", async () => {
  const { wire, store, session } = open();
  session.receive(encodeFrame(connect({ host: "/" })));
  wire.hold = true;
  session.receive(encodeFrame(subscribe("s1", "/queue/big")));
  const body = new Uint8Array(40 * 1024);
  for (let i = 0; i < 3; i++) store.publish(send("/queue/big", body));
  // 40 KiB waiting, under the 64 KiB mark: one more; 80 KiB: no more.
  assertEquals(wire.commands(), ["CONNECTED", "MESSAGE", "MESSAGE"]);
  assertEquals(store.depth("/queue/big"), 1);
  wire.release();
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(wire.commands(), [
    "CONNECTED",
    "MESSAGE",
    "MESSAGE",
    "MESSAGE",
  ]);
  assertEquals(store.depth("/queue/big"), 0);
  session.close();
});

Deno.test("BrokerSession gives back what was not acknowledged when it closes (in-memory wire)", () => {
  const { wire, store, session } = open();
  session.receive(encodeFrame(connect({ host: "/" })));
  session.receive(
    encodeFrame(subscribe("s1", "/queue/a", { ack: "client-individual" })),
  );
  store.publish(send("/queue/a", "one"));
  assertEquals(wire.commands(), ["CONNECTED", "MESSAGE"]);
  assertEquals(store.unacknowledged("/queue/a"), 1);
  session.close();
  assertEquals(store.unacknowledged("/queue/a"), 0);
  assertEquals(store.depth("/queue/a"), 1);
});

Deno.test("BrokerSession ends each frame with NUL and EOL in one write when eolAfterFrame is on (in-memory wire)", async () => {
  const { timers, wire, session } = open({ eolAfterFrame: true });
  session.receive(
    encodeFrame(connect({ host: "/", heartBeat: [0, 1000] })),
  );
  session.receive(encodeFrame(send("/queue/a", "x", { receipt: "r" })));
  const text = wire.written.map((bytes) => new TextDecoder().decode(bytes));
  assertEquals(text.length, 2);
  assert(text[0]!.startsWith("CONNECTED\n"));
  assert(text[0]!.endsWith("\n\n\0\n"));
  assertEquals(text[1], "RECEIPT\nreceipt-id:r\n\n\0\n");
  // A heart-beat is still one EOL, not two.
  await timers.advance(1000);
  assertEquals(wire.written.length, 3);
  assertEquals(wire.written[2], EOL);
  session.close();
});

Deno.test("BrokerSession ends each frame at its NUL when eolAfterFrame is off (in-memory wire)", () => {
  const { wire, session } = open({ eolAfterFrame: false });
  session.receive(encodeFrame(connect({ host: "/" })));
  session.receive(encodeFrame(send("/queue/a", "x", { receipt: "r" })));
  const last = new TextDecoder().decode(wire.written.at(-1));
  assertEquals(last, "RECEIPT\nreceipt-id:r\n\n\0");
  session.close();
});
