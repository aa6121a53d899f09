// The end-to-end benchmark: our client and its peers, each in its own
// process, against the same RabbitMQ and ActiveMQ (scripts/brokers.sh).
//
//   deno task bench:e2e:offline                  full run: 3 interleaved rounds
//   deno task bench:e2e:offline --smoke          one small round (CI)
//   deno task bench:e2e:offline --out=/tmp/e2e   also writes e2e.md and e2e.json
//
// Other flags: --rounds=N --count=N (100 B messages) --big-count=N (1 MiB
// messages) --rtt-count=N --clients=a,b --brokers=rabbitmq,activemq
// --cases=publish-awaited,...
//
// Every run is checked before it counts: after a publishing run the queue is
// drained by our client here (count and body bytes must match, nothing more
// may come); a consuming run starts on a queue filled here and must report
// exactly what was put in. Client CPU is the child's own (getrusage or
// process.cpuUsage over its measured section, see _protocol.ts); broker CPU is
// the broker's process tree, from /proc, over the child's whole run.

import { flag } from "../_args.ts";
import { StompClient } from "../../../mod.ts";
import {
  markdownTable,
  median,
  si,
  type Table,
  textTable,
  times,
} from "../_report.ts";
import type { Config, Result, Scenario } from "./_protocol.ts";

// --- options -----------------------------------------------------------------

function count(name: string, fallback: number): number {
  const text = flag(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(
      `Invalid --${name}: expected a positive integer, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return value;
}
function list(name: string): string[] | undefined {
  return flag(name)?.split(",").filter((item) => item !== "");
}

const SMOKE = Deno.args.includes("--smoke");
const ROUNDS = count("rounds", SMOKE ? 1 : 3);
const COUNT = count("count", SMOKE ? 1_000 : 20_000);
const BIG_COUNT = count("big-count", SMOKE ? 2 : 32);
const RTT_COUNT = count("rtt-count", SMOKE ? 100 : 2_000);
const OUT = flag("out");
const MiB = 1024 * 1024;
const PREFETCH = 100;

// --- what runs ---------------------------------------------------------------

type Broker = "rabbitmq" | "activemq";
type Transport = "tcp" | "ws";

/** A measured case: a scenario with its message size and count. */
interface Case {
  readonly id: string;
  readonly scenario: Scenario;
  readonly size: number;
  readonly count: number;
  /** Title words for the tables. */
  readonly what: string;
}
const ALL_CASES: Case[] = [
  {
    id: "publish-awaited",
    scenario: "publish-awaited",
    size: 100,
    count: COUNT,
    what: "publish, each send awaited",
  },
  {
    id: "publish-together",
    scenario: "publish-together",
    size: 100,
    count: COUNT,
    what: "publish, sends issued together",
  },
  {
    id: "consume-auto",
    scenario: "consume-auto",
    size: 100,
    count: COUNT,
    what: "consume, ack auto",
  },
  {
    id: "consume-client",
    scenario: "consume-client",
    size: 100,
    count: COUNT,
    what: `consume, client-individual acks, prefetch ${PREFETCH}`,
  },
  {
    id: "receipt-rtt",
    scenario: "receipt-rtt",
    size: 100,
    count: RTT_COUNT,
    what: "receipt round trip",
  },
  {
    id: "publish-1mib",
    scenario: "publish-awaited",
    size: MiB,
    count: BIG_COUNT,
    what: "publish 1 MiB bodies, each send awaited",
  },
  {
    id: "consume-1mib",
    scenario: "consume-auto",
    size: MiB,
    count: BIG_COUNT,
    what: "consume 1 MiB bodies, ack auto",
  },
];

const here = (path: string) => new URL(path, import.meta.url).pathname;
// Deno children resolve imports as this process does.
const offline = import.meta.resolve("@std/bytes").startsWith("file:");
const denoRun = [
  Deno.execPath(),
  "run",
  "-A",
  ...(offline ? [`--import-map=${here("../../offline/import_map.json")}`] : []),
];

/** A client under test: how to start it, and where it can go. */
interface Contender {
  readonly name: string;
  readonly transport: Transport;
  readonly ours: boolean;
  /** The runtime's floor (clients/raw.ts), not a client: no ratios. */
  readonly limit?: boolean;
  /** The scenarios it runs, when not all. */
  readonly scenarios?: readonly Scenario[];
  readonly command: readonly string[];
  readonly brokers: readonly Broker[];
}
const ALL_CONTENDERS: Contender[] = [
  {
    name: "stomper tcp",
    transport: "tcp",
    ours: true,
    command: [...denoRun, here("clients/stomper.ts")],
    brokers: ["rabbitmq", "activemq"],
  },
  {
    name: "stomper ws",
    transport: "ws",
    ours: true,
    command: [...denoRun, here("clients/stomper.ts")],
    brokers: ["rabbitmq"],
  },
  {
    name: "stompjs ws (Deno)",
    transport: "ws",
    ours: false,
    command: [...denoRun, here("clients/stompjs_ws.ts")],
    brokers: ["rabbitmq"],
  },
  {
    name: "stompjs tcp (Node)",
    transport: "tcp",
    ours: false,
    command: ["node", here("clients/stompjs_tcp.mjs")],
    brokers: ["rabbitmq", "activemq"],
  },
  {
    name: "stompit (Node)",
    transport: "tcp",
    ours: false,
    command: ["node", here("clients/stompit.mjs")],
    brokers: ["rabbitmq", "activemq"],
  },
  {
    name: "stomp.py",
    transport: "tcp",
    ours: false,
    command: ["/usr/bin/python3", here("clients/stomppy.py")],
    brokers: ["rabbitmq", "activemq"],
  },
  {
    name: "floor tcp (raw Deno)",
    transport: "tcp",
    ours: false,
    limit: true,
    scenarios: ["publish-awaited", "publish-together", "receipt-rtt"],
    command: [...denoRun, here("clients/raw.ts")],
    brokers: ["rabbitmq", "activemq"],
  },
  {
    name: "floor ws (raw Deno)",
    transport: "ws",
    ours: false,
    limit: true,
    scenarios: ["publish-awaited", "publish-together", "receipt-rtt"],
    command: [...denoRun, here("clients/raw.ts")],
    brokers: ["rabbitmq"],
  },
];

function pick<T extends { readonly id?: string; readonly name?: string }>(
  all: T[],
  wanted: string[] | undefined,
  key: (item: T) => string,
  what: string,
): T[] {
  if (wanted === undefined) return all;
  for (const name of wanted) {
    if (!all.some((item) => key(item) === name)) {
      throw new TypeError(
        `Unknown ${what} ${JSON.stringify(name)}: expected one of ${
          all.map(key).join(", ")
        }`,
      );
    }
  }
  return all.filter((item) => wanted.includes(key(item)));
}
const CASES = pick(ALL_CASES, list("cases"), (c) => c.id, "case");
const CONTENDERS = pick(
  ALL_CONTENDERS,
  list("clients"),
  (c) => c.name.split(" (")[0]!.replaceAll(" ", "-"),
  "client",
);
const BROKERS = pick<{ id: Broker }>(
  [{ id: "rabbitmq" }, { id: "activemq" }],
  list("brokers"),
  (b) => b.id,
  "broker",
).map((b) => b.id);

// --- brokers -----------------------------------------------------------------

const env = (name: string, fallback: string) => Deno.env.get(name) ?? fallback;
const RABBIT_TCP = new URL(
  env("STOMPER_RABBITMQ_TCP", "tcp://127.0.0.1:61613"),
);
const ACTIVEMQ_TCP = new URL(
  env("STOMPER_ACTIVEMQ_TCP", "tcp://127.0.0.1:61623"),
);
const RABBIT_WS = env("STOMPER_RABBITMQ_WS", "ws://127.0.0.1:15674/ws");
const STATE = env("STOMPER_BROKERS_DIR", "/tmp/stomper-brokers");

function target(broker: Broker) {
  const tcp = broker === "rabbitmq" ? RABBIT_TCP : ACTIVEMQ_TCP;
  return {
    host: tcp.hostname,
    port: Number(tcp.port),
    wsUrl: RABBIT_WS,
    login: "guest",
    passcode: "guest",
    vhost: "/",
    broker,
  };
}

/** CPU seconds of a broker's whole process tree, or NaN when unknown. */
function brokerCpu(broker: Broker): number {
  let root: number;
  try {
    root = Number(
      Deno.readTextFileSync(`${STATE}/run/${broker}.pid`).split(/\s/)[0],
    );
  } catch {
    return NaN;
  }
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch {
      continue; // gone meanwhile
    }
    // Fields after "(comm)": state ppid ... utime (14th field) stime (15th).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pid = Number(entry.name);
    parent.set(pid, Number(fields[1]));
    ticks.set(pid, Number(fields[11]) + Number(fields[12]));
  }
  let total = 0;
  for (const [pid, used] of ticks) {
    for (
      let p: number | undefined = pid;
      p !== undefined && p > 1;
      p = parent.get(p)
    ) {
      if (p === root) {
        total += used;
        break;
      }
    }
  }
  return total / 100; // USER_HZ is 100 on Linux
}

// --- fill and drain (ours, in this process, not timed) -----------------------

const body = (size: number) => "x".repeat(size);

async function open(broker: Broker): Promise<StompClient> {
  const t = target(broker);
  return await StompClient.connectUrl(`tcp://${t.host}:${t.port}`, {
    host: t.vhost,
    login: t.login,
    passcode: t.passcode,
    heartBeat: [0, 0],
  });
}

async function fill(broker: Broker, destination: string, c: Case) {
  await using client = await open(broker);
  const text = body(c.size);
  const sent: Promise<void>[] = [];
  for (let i = 0; i < c.count; i++) {
    sent.push(client.send(destination, text, { receipt: i === c.count - 1 }));
  }
  await Promise.all(sent);
}

/** Takes everything from a queue; fails unless it is exactly what was sent. */
async function drain(broker: Broker, destination: string, c: Case) {
  await using client = await open(broker);
  const subscription = await client.subscribe(destination);
  const expected = c.count * c.size;
  let messages = 0;
  let bytes = 0;
  const iterator = subscription[Symbol.asyncIterator]();
  while (true) {
    // Idle time that ends the drain: long for a loaded broker while messages
    // are missing, short once all came (to see any extra one).
    const quiet = messages < c.count ? 10_000 : 300;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = await Promise.race([
      iterator.next(),
      new Promise<"quiet">((resolve) =>
        timer = setTimeout(() => resolve("quiet"), quiet)
      ),
    ]);
    clearTimeout(timer);
    if (next === "quiet" || next.done) break;
    messages++;
    bytes += next.value.body.byteLength;
  }
  if (messages !== c.count || bytes !== expected) {
    throw new Error(
      `Check failed on ${broker} ${destination}: expected ${c.count} messages of ${expected} bytes in all, drained ${messages} of ${bytes} bytes`,
    );
  }
}

// --- one run -----------------------------------------------------------------

interface Run {
  readonly round: number;
  readonly broker: Broker;
  readonly case: string;
  readonly client: string;
  readonly result: Result;
  /** Broker CPU over the child's whole run, milliseconds. */
  readonly brokerCpuMs: number;
}

const runs: Run[] = [];

async function runOne(
  round: number,
  broker: Broker,
  c: Case,
  contender: Contender,
): Promise<Run> {
  const destination = `/queue/e2e-${c.id}-${crypto.randomUUID().slice(0, 8)}`;
  const consuming = c.scenario.startsWith("consume");
  if (consuming) await fill(broker, destination, c);
  const config: Config = {
    ...target(broker),
    scenario: c.scenario,
    transport: contender.transport,
    destination,
    count: c.count,
    size: c.size,
    prefetch: PREFETCH,
  };
  const before = brokerCpu(broker);
  const child = new Deno.Command(contender.command[0]!, {
    args: [...contender.command.slice(1), JSON.stringify(config)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 10 * 60_000);
  const output = await child.output();
  clearTimeout(killer);
  const brokerCpuMs = (brokerCpu(broker) - before) * 1000;
  const stdout = new TextDecoder().decode(output.stdout).trim();
  const stderr = new TextDecoder().decode(output.stderr).trim();
  const where = `${contender.name}, ${c.id} on ${broker}, round ${round + 1}`;
  if (!output.success) {
    throw new Error(`Run failed (${where}): exit ${output.code}\n${stderr}`);
  }
  let result: Result;
  try {
    result = JSON.parse(stdout.slice(stdout.lastIndexOf("\n") + 1));
  } catch (cause) {
    throw new Error(`Run printed no result (${where}):\n${stdout}\n${stderr}`, {
      cause,
    });
  }
  const bytes = c.count * c.size;
  if (result.count !== c.count || result.bytes !== bytes) {
    throw new Error(
      `Run reported ${result.count} messages of ${result.bytes} bytes, expected ${c.count} of ${bytes} (${where})`,
    );
  }
  if (c.scenario === "receipt-rtt" && result.rttUs?.length !== c.count) {
    throw new Error(
      `Run reported ${
        result.rttUs?.length ?? 0
      } round trips, expected ${c.count} (${where})`,
    );
  }
  if (!consuming) await drain(broker, destination, c);
  return {
    round,
    broker,
    case: c.id,
    client: contender.name,
    result,
    brokerCpuMs,
  };
}

// --- the rounds --------------------------------------------------------------

const cpuModel = (() => {
  try {
    return Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)
      ?.[1] ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
})();
const machine = [
  new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
  `Deno ${Deno.version.deno}`,
  cpuModel,
  `${navigator.hardwareConcurrency} cores`,
  `load ${Deno.loadavg().map((load) => load.toFixed(2)).join(" ")}`,
].join(" · ");
console.log(machine);

// The Node peers find their packages in node_modules, put there by Deno.
await new Deno.Command(denoRun[0]!, {
  args: ["cache", ...denoRun.slice(3), here("_node_deps.ts")],
  stdout: "inherit",
  stderr: "inherit",
}).output().then((output) => {
  if (!output.success) {
    throw new Error(
      "Cannot install the Node peers' packages (deno cache _node_deps.ts failed)",
    );
  }
});

/** Whether a contender takes part in a case on a broker. */
function takesPart(contender: Contender, broker: Broker, c: Case): boolean {
  return contender.brokers.includes(broker) &&
    (contender.scenarios?.includes(c.scenario) ?? true);
}

const started = performance.now();
for (let round = 0; round < ROUNDS; round++) {
  for (const broker of BROKERS) {
    for (const c of CASES) {
      const present = CONTENDERS.filter((contender) =>
        takesPart(contender, broker, c)
      );
      // Interleaved: a different client goes first in each round.
      const order = present.map((_, i) =>
        present[(i + round) % present.length]!
      );
      for (const contender of order) {
        const run = await runOne(round, broker, c, contender);
        runs.push(run);
        const r = run.result;
        console.error(
          `round ${round + 1} ${broker} ${c.id} ${contender.name}: ${
            r.wallMs.toFixed(0)
          } ms, ${(r.cpuUs / r.count).toFixed(1)} µs CPU/msg`,
        );
      }
    }
  }
}
const elapsed = (performance.now() - started) / 1000;

// --- report ------------------------------------------------------------------

const cpuPerMessage = (r: Result) => r.cpuUs / r.count;
const rate = (r: Result) => r.count / (r.wallMs / 1000);
const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
};
const rttP50 = (r: Result) => percentile(r.rttUs ?? [], 0.5);
const rttP99 = (r: Result) => percentile(r.rttUs ?? [], 0.99);

function runsOf(broker: Broker, caseId: string, client: string): Run[] {
  return runs.filter((run) =>
    run.broker === broker && run.case === caseId && run.client === client
  );
}
function med(
  broker: Broker,
  caseId: string,
  client: string,
  value: (r: Result) => number,
): number {
  const values = runsOf(broker, caseId, client).map((run) => value(run.result));
  return values.length === 0 ? NaN : median(values);
}
/** Median over rounds of (ours ÷ peer), each ratio taken within one round. */
function ratio(
  broker: Broker,
  caseId: string,
  ours: string,
  peer: string,
  value: (r: Result) => number,
): number {
  const values: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const a = runsOf(broker, caseId, ours).find((run) => run.round === round);
    const b = runsOf(broker, caseId, peer).find((run) => run.round === round);
    if (a && b) values.push(value(a.result) / value(b.result));
  }
  return values.length === 0 ? NaN : median(values);
}

const tables: Table[] = [];
const brokerName = (broker: Broker) =>
  broker === "rabbitmq" ? "RabbitMQ" : "ActiveMQ";
const sizeName = (size: number) =>
  size >= MiB ? `${size / MiB} MiB` : `${size} B`;
const rounds = `medians of ${ROUNDS} interleaved round${
  ROUNDS === 1 ? "" : "s"
}`;

for (const broker of BROKERS) {
  for (const c of CASES) {
    const clients = CONTENDERS.filter((contender) =>
      takesPart(contender, broker, c)
    );
    const rtt = c.scenario === "receipt-rtt";
    const columns = [
      "client",
      "messages/s",
      "wall ms",
      "client CPU µs/msg",
      "broker CPU ms",
      ...(rtt ? ["p50 µs", "p99 µs"] : []),
    ];
    const rows = clients.map((contender) => {
      const m = (value: (r: Result) => number) =>
        med(broker, c.id, contender.name, value);
      return [
        contender.name,
        si(m(rate)),
        m((r) => r.wallMs).toFixed(0),
        m(cpuPerMessage).toFixed(c.size >= MiB ? 0 : 1),
        median(
          runsOf(broker, c.id, contender.name).map((run) => run.brokerCpuMs),
        ).toFixed(0),
        ...(rtt ? [m(rttP50).toFixed(0), m(rttP99).toFixed(0)] : []),
      ];
    });
    tables.push({
      title: `${brokerName(broker)}: ${c.what}, ${
        c.count.toLocaleString("en")
      } × ${sizeName(c.size)} (${rounds})`,
      columns,
      rows,
    });
  }
}

// Ours ÷ each peer on the same transport, client CPU per message.
const ours = CONTENDERS.filter((contender) => contender.ours);
const peers = CONTENDERS.filter((contender) =>
  !contender.ours && !contender.limit
);
function ratioTable(
  title: string,
  value: (r: Result) => number,
  note: string,
): Table {
  const rows: string[][] = [];
  for (const broker of BROKERS) {
    for (const c of CASES) {
      if (c.scenario === "receipt-rtt" && value !== rttP50) continue;
      if (c.scenario !== "receipt-rtt" && value === rttP50) continue;
      rows.push([
        `${brokerName(broker)} ${c.id}`,
        ...peers.map((peer) => {
          const mine = ours.find((o) => o.transport === peer.transport);
          if (
            !mine || !peer.brokers.includes(broker) ||
            !mine.brokers.includes(broker)
          ) return "";
          return times(ratio(broker, c.id, mine.name, peer.name, value));
        }),
      ]);
    }
  }
  return {
    title,
    columns: ["ours ÷ peer", ...peers.map((peer) => peer.name)],
    rows,
    notes: [note],
  };
}
tables.push(
  ratioTable(
    "Client CPU per message, ours ÷ peer (same transport)",
    cpuPerMessage,
    "Below 1x: ours costs less CPU per message.",
  ),
  ratioTable(
    "Wall time, ours ÷ peer (same transport)",
    (r) => r.wallMs,
    "Below 1x: ours finishes sooner.",
  ),
  ratioTable(
    "Receipt round trip p50, ours ÷ peer (same transport)",
    rttP50,
    "Below 1x: ours answers sooner.",
  ),
);

// --- targets ------------------------------------------------------------------

interface Target {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}
const targets: Target[] = [];
/** The best (lowest, or highest with `higher`) median among peers on a transport. */
function bestPeer(
  broker: Broker,
  caseId: string,
  transport: Transport,
  value: (r: Result) => number,
  higher = false,
) {
  let best: { name: string; value: number } | undefined;
  for (const peer of peers) {
    if (peer.transport !== transport || !peer.brokers.includes(broker)) {
      continue;
    }
    const v = med(broker, caseId, peer.name, value);
    if (Number.isNaN(v)) continue;
    if (!best || (higher ? v > best.value : v < best.value)) {
      best = { name: peer.name, value: v };
    }
  }
  return best;
}
function target_(
  description: string,
  broker: Broker,
  caseId: string,
  transport: Transport,
  value: (r: Result) => number,
  limit: number,
  higher = false,
) {
  const mine = ours.find((o) =>
    o.transport === transport && o.brokers.includes(broker)
  );
  const best = bestPeer(broker, caseId, transport, value, higher);
  if (!mine || !best || !CASES.some((c) => c.id === caseId)) return;
  // Within-round ratios, as in the tables; the best peer by its median.
  const r = ratio(broker, caseId, mine.name, best.name, value);
  targets.push({
    target: `${brokerName(broker)} ${transport}: ${description} ${
      higher ? "≥" : "≤"
    } ${limit}x best peer`,
    measured: `${times(r)} (best peer: ${best.name})`,
    met: higher ? r >= limit : r <= limit,
  });
}
for (const broker of BROKERS) {
  for (const transport of ["tcp", "ws"] as const) {
    target_(
      "publish awaited, client CPU/msg",
      broker,
      "publish-awaited",
      transport,
      cpuPerMessage,
      0.5,
    );
    target_(
      "publish together, client CPU/msg",
      broker,
      "publish-together",
      transport,
      cpuPerMessage,
      0.5,
    );
    target_(
      "publish together, messages/s",
      broker,
      "publish-together",
      transport,
      rate,
      1.2,
      true,
    );
    target_(
      "publish awaited, messages/s",
      broker,
      "publish-awaited",
      transport,
      rate,
      1.2,
      true,
    );
    target_(
      "1 MiB publish, wall time",
      broker,
      "publish-1mib",
      transport,
      (r) => r.wallMs,
      1,
    );
    target_(
      "consume auto, client CPU/msg",
      broker,
      "consume-auto",
      transport,
      cpuPerMessage,
      0.5,
    );
    target_(
      "consume client acks, client CPU/msg",
      broker,
      "consume-client",
      transport,
      cpuPerMessage,
      0.5,
    );
    target_(
      "receipt round trip p50",
      broker,
      "receipt-rtt",
      transport,
      rttP50,
      0.8,
    );
    const mine = ours.find((o) =>
      o.transport === transport && o.brokers.includes(broker)
    );
    if (
      mine && CASES.some((c) => c.id === "publish-together") &&
      CASES.some((c) => c.id === "publish-awaited")
    ) {
      const together = med(
        broker,
        "publish-together",
        mine.name,
        cpuPerMessage,
      );
      const awaited = med(broker, "publish-awaited", mine.name, cpuPerMessage);
      targets.push({
        target: `${
          brokerName(broker)
        } ${transport}: issued together costs less CPU/msg than awaited`,
        measured: `${together.toFixed(1)} vs ${awaited.toFixed(1)} µs/msg`,
        met: together <= awaited,
      });
    }
  }
}
tables.push({
  title: "Targets",
  columns: ["target", "measured", "met"],
  rows: targets.map((t) => [t.target, t.measured, t.met ? "yes" : "NO"]),
});

const command = "deno task bench:e2e" + (offline ? ":offline" : "") +
  (Deno.args.length > 0 ? " " + Deno.args.join(" ") : "");
const heading = [
  machine,
  `Command: ${command} · ${runs.length} runs in ${
    elapsed.toFixed(0)
  } s, every one checked`,
  "Heart-beats off for every client; client CPU over each client's measured section; broker CPU over the client's whole run.",
];
console.log("\n" + heading.slice(1).join("\n") + "\n");
console.log(tables.map(textTable).join("\n\n"));
if (OUT !== undefined) {
  await Deno.writeTextFile(
    `${OUT}.md`,
    [heading.join("\n\n"), ...tables.map(markdownTable)].join("\n\n") + "\n",
  );
  await Deno.writeTextFile(
    `${OUT}.json`,
    JSON.stringify(
      { machine, command, rounds: ROUNDS, runs, targets },
      null,
      1,
    ) + "\n",
  );
  console.log(`\nWrote ${OUT}.md and ${OUT}.json`);
}
