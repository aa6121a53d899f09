/**
 * `deno task fuzz:client`: the real `StompClient` against a seeded hostile
 * server on 127.0.0.1, session after session, under the rules of
 * `_client_fuzz.ts` (no uncaught error or unhandled rejection, every
 * operation settled within its timeout, typed errors only, memory within
 * its bounds, the causes and reasons of errors kept).
 *
 * Flags: `--count=N` sessions (default 10,000), `--seed=S` (default random,
 * printed), `--from=I` first session index (default 0), `--jobs=J` sessions
 * at once (default 8), `--throwing-hooks` (hooks throw now and then),
 * `--reconnect=mixed|always|never` (default mixed), `--hostility=H` from 0
 * to 1 (default 1), `--slack=MS` an operation may take past its timeout
 * (default 1500), `--max-heap-mib=N` (default 256) and `--max-rss-mib=N`
 * (default 768), `--skip=RULE,...` rules not checked, `--keep-going`
 * (collect every failure, one line each, instead of stopping at the first),
 * `--verbose` prints each session's timeline (operations, states, what the
 * server did) to stderr, `--json=FILE` also writes the summary and failures as JSON. A broken rule
 * prints the command that replays that session (`--seed=S --from=I
 * --count=1`) and exits with 1; bad flags exit with 2.
 *
 * @module
 */

import {
  type ClientFuzzFailure,
  type ReconnectMode,
  type Rule,
  RULES,
  runClientFuzz,
} from "./_client_fuzz.ts";

const USAGE =
  "Usage: deno task fuzz:client [--count=N] [--seed=S] [--from=I] [--jobs=J] [--throwing-hooks] [--reconnect=mixed|always|never] [--hostility=H] [--slack=MS] [--max-heap-mib=N] [--max-rss-mib=N] [--skip=RULE,...] [--keep-going] [--verbose] [--json=FILE]";

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  Deno.exit(2);
}

function value(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function integer(name: string, fallback: number, max: number): number {
  const arg = value(name);
  if (arg === undefined) return fallback;
  const text = arg.replaceAll("_", "");
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n > max) {
    usage(
      `Invalid --${name}: expected an integer from 0 to ${max}, got ${
        JSON.stringify(arg)
      }`,
    );
  }
  return n;
}

const FLAGS =
  /^--(count|seed|from|jobs|reconnect|hostility|slack|max-heap-mib|max-rss-mib|skip|json)=|^--(throwing-hooks|keep-going|verbose)$/;
for (const arg of Deno.args) {
  if (!FLAGS.test(arg)) usage(`Unknown argument ${JSON.stringify(arg)}`);
}
const count = integer("count", 10_000, Number.MAX_SAFE_INTEGER);
const seed = integer(
  "seed",
  crypto.getRandomValues(new Uint32Array(1))[0]!,
  0xffffffff,
);
const from = integer("from", 0, Number.MAX_SAFE_INTEGER);
const jobs = integer("jobs", 8, 256);
if (jobs < 1) usage("Invalid --jobs: expected at least 1");
const slack = integer("slack", 1500, 600_000);
const maxHeapMiB = integer("max-heap-mib", 256, 1 << 20);
const maxRssMiB = integer("max-rss-mib", 768, 1 << 20);
const reconnect = (value("reconnect") ?? "mixed") as ReconnectMode;
if (!["mixed", "always", "never"].includes(reconnect)) {
  usage(
    `Invalid --reconnect: expected mixed, always or never, got ${
      JSON.stringify(reconnect)
    }`,
  );
}
const hostilityText = value("hostility") ?? "1";
const hostility = Number(hostilityText);
if (!/^[0-9.]+$/.test(hostilityText) || !(hostility >= 0 && hostility <= 1)) {
  usage(
    `Invalid --hostility: expected a number from 0 to 1, got ${
      JSON.stringify(hostilityText)
    }`,
  );
}
const skip = (value("skip") ?? "").split(",").filter((r) => r !== "");
for (const rule of skip) {
  if (!(RULES as readonly string[]).includes(rule)) {
    usage(
      `Invalid --skip: expected rules among ${RULES.join(", ")}, got ${
        JSON.stringify(rule)
      }`,
    );
  }
}
const throwingHooks = Deno.args.includes("--throwing-hooks");
const keepGoing = Deno.args.includes("--keep-going");
const verbose = Deno.args.includes("--verbose");
const json = value("json");
if (json === "") usage("Invalid --json: expected a file name");

const options = {
  count,
  seed,
  from,
  jobs,
  throwingHooks,
  reconnect,
  hostility,
  slack,
  maxHeapMiB,
  maxRssMiB,
  keepGoing,
  verbose,
  skip: skip as Rule[],
};

console.error(
  `fuzz:client: ${count} sessions from index ${from}, seed ${seed}, ${jobs} at once${
    throwingHooks ? ", throwing hooks" : ""
  }, reconnect ${reconnect} (replay with --seed=${seed})`,
);
const started = performance.now();
const step = Math.max(1, Math.round(count / 10));
let nextReport = step;
const report = await runClientFuzz({
  ...options,
  onProgress(done) {
    if (done < nextReport || done === count) return;
    nextReport += step;
    const seconds = (performance.now() - started) / 1000;
    console.error(
      `fuzz:client: ${Math.round((done / count) * 100)}% (${done}/${count}), ${
        seconds.toFixed(1)
      } s, ${(done / seconds).toFixed(0)} sessions/s`,
    );
  },
});
const seconds = (performance.now() - started) / 1000;
const { stats, failures } = report;
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

console.log(
  `fuzz:client: ${stats.sessions} sessions, seed ${seed}: ${stats.connected} connected, ${stats.connectFailed} failed to connect, ${stats.reconnecting} with reconnect`,
);
console.log(
  `  server: ${stats.connections} connections, ${
    mib(stats.bytesSent)
  } MiB sent; hooks: ${stats.hookCalls} calls, ${stats.hookThrows} threw on purpose; client console.error lines: ${stats.consoleErrors}`,
);
console.log(
  `  memory: heapUsed up to ${
    mib(stats.maxHeapUsed)
  } MiB (bound ${maxHeapMiB}), rss up to ${
    mib(stats.maxRss)
  } MiB (bound ${maxRssMiB}, near session ${stats.maxRssSession})`,
);
console.log(
  `  most memory gained while a session ran: heapUsed ${
    mib(stats.maxHeapGrowth.bytes)
  } MiB (session ${stats.maxHeapGrowth.index}), rss ${
    mib(stats.maxRssGrowth.bytes)
  } MiB (session ${stats.maxRssGrowth.index})${
    jobs > 1 ? ", other sessions included" : ""
  }`,
);
console.log(
  `  ${seconds.toFixed(1)} s, ${
    (stats.sessions / seconds).toFixed(1)
  } sessions/s; slowest session ${stats.slowest.index} (${
    stats.slowest.ms.toFixed(0)
  } ms); latest settle ${
    stats.latestPastTimeout.toFixed(0)
  } ms past a timeout (slack ${slack})`,
);

const replay = (failure: ClientFuzzFailure) =>
  `deno task fuzz:client ${failure.replay}`;
if (json !== undefined) {
  await Deno.writeTextFile(
    json,
    JSON.stringify(
      {
        options: { ...options, skip },
        elapsedSeconds: Math.round(seconds * 100) / 100,
        sessionsPerSecond: Math.round((stats.sessions / seconds) * 10) / 10,
        deno: Deno.version.deno,
        stats,
        failures: failures.map((f) => ({ ...f, replay: replay(f) })),
      },
      null,
      2,
    ) + "\n",
  );
}
if (failures.length > 0) {
  if (keepGoing) {
    // One line per kind of failure: its first session, and how many.
    const kinds = new Map<string, ClientFuzzFailure[]>();
    for (const failure of failures) {
      const key = `${failure.rule}: ${
        failure.message.replace(/[0-9]+/g, "N").slice(0, 120)
      }`;
      kinds.set(key, [...(kinds.get(key) ?? []), failure]);
    }
    console.log(
      `FAILED: ${failures.length} broken rules in ${
        new Set(failures.map((f) => f.index)).size
      } sessions, ${kinds.size} kinds`,
    );
    for (const [key, list] of kinds) {
      const first = list[0]!;
      console.log(`  ${list.length} × ${key}`);
      console.log(`    first: session ${first.index}: ${first.message}`);
      console.log(`    replay: ${replay(first)}`);
    }
  } else {
    const failure = failures[0]!;
    console.log(
      `FAILED at session ${failure.index} (seed ${failure.seed}), rule ${failure.rule}: ${failure.message}${
        failure.attributed
          ? ""
          : " (several sessions ran; none repeats it alone)"
      }`,
    );
    console.log(`  replay: ${replay(failure)} (or fuzz:client:offline)`);
  }
  Deno.exit(1);
}
console.log("  all rules held");
