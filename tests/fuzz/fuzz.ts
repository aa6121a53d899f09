/**
 * `deno task fuzz`: random and mutated inputs through the sync decoder and
 * the stream under random chunking, and random frames through an encode and
 * decode round trip, under the rules of the unit fuzz (see `_fuzz.ts`).
 *
 * Flags: `--count=N` inputs (default 1,000,000), `--seed=S` (default
 * random, printed), `--from=I` first input index (default 0), `--json=FILE`
 * also writes the summary (and any failure) as JSON. A broken rule stops the
 * run with exit code 1 and prints the command that replays exactly that
 * input (`--seed=S --from=I --count=1`); bad flags exit with 2.
 *
 * @module
 */

import { type FuzzStats, runFuzz } from "./_fuzz.ts";

const USAGE =
  "Usage: deno task fuzz [--count=N] [--seed=S] [--from=I] [--json=FILE]";

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  Deno.exit(2);
}

function integer(name: string, fallback: number, max: number): number {
  const prefix = `--${name}=`;
  const arg = Deno.args.find((a) => a.startsWith(prefix));
  if (arg === undefined) return fallback;
  const text = arg.slice(prefix.length).replaceAll("_", "");
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value > max) {
    usage(
      `Invalid --${name}: expected an integer from 0 to ${max}, got ${
        JSON.stringify(arg.slice(prefix.length))
      }`,
    );
  }
  return value;
}

for (const arg of Deno.args) {
  if (!/^--(count|seed|from|json)=/.test(arg)) {
    usage(`Unknown argument ${JSON.stringify(arg)}`);
  }
}
const count = integer("count", 1_000_000, Number.MAX_SAFE_INTEGER);
const seed = integer(
  "seed",
  crypto.getRandomValues(new Uint32Array(1))[0]!,
  0xffffffff,
);
const from = integer("from", 0, Number.MAX_SAFE_INTEGER);
const json = Deno.args.find((a) => a.startsWith("--json="))?.slice(7);
if (json === "") usage("Invalid --json: expected a file name");

const errorLine = (stats: FuzzStats) =>
  Object.entries(stats.errors).sort().map(([k, v]) => `${k} ${v}`).join(", ") ||
  "none";

console.error(
  `fuzz: ${count} inputs from index ${from}, seed ${seed} (replay with --seed=${seed})`,
);
const started = performance.now();
let nextReport = Math.max(1, Math.round(count / 10));
const report = await runFuzz({
  count,
  seed,
  from,
  onProgress(done) {
    if (done < nextReport || done === count) return;
    nextReport += Math.max(1, Math.round(count / 10));
    const seconds = (performance.now() - started) / 1000;
    console.error(
      `fuzz: ${Math.round((done / count) * 100)}% (${done}/${count}), ${
        seconds.toFixed(1)
      } s, ${Math.round(done / seconds)} inputs/s`,
    );
  },
});
const seconds = (performance.now() - started) / 1000;
const { stats, failure } = report;

const summary = {
  seed,
  from,
  inputs: stats.inputs,
  byKind: stats.byKind,
  bytes: stats.bytes,
  framesDecoded: stats.frames,
  roundTripFrames: stats.roundTrips,
  heartbeats: stats.heartbeats,
  errors: stats.errors,
  errorMessages: stats.messages,
  encoderRefusals: stats.refused,
  chunkings: stats.chunkings,
  slowestInput: {
    index: stats.slowest.index,
    ms: Math.round(stats.slowest.ms * 100) / 100,
  },
  elapsedSeconds: Math.round(seconds * 100) / 100,
  inputsPerSecond: Math.round(stats.inputs / seconds),
  deno: Deno.version.deno,
  ...(failure === undefined ? {} : {
    failure: {
      ...failure,
      input: undefined,
      inputHex: [...JSON.parse(failure.input) as string].map((c) =>
        c.charCodeAt(0).toString(16).padStart(2, "0")
      ).join(""),
    },
  }),
};

console.log(
  `fuzz: ${stats.inputs} inputs (${stats.byKind.random} random, ${stats.byKind.mutated} mutated, ${stats.byKind.roundtrip} round trips), seed ${seed}`,
);
console.log(
  `  frames decoded ${stats.frames} (${stats.roundTrips} round-trip frames checked), heart-beats ${stats.heartbeats}`,
);
console.log(
  `  errors: ${errorLine(stats)}; encoder refusals ${stats.refused}`,
);
console.log(
  `  chunkings ${stats.chunkings}; ${seconds.toFixed(1)} s, ${
    Math.round(stats.inputs / seconds)
  } inputs/s; slowest input ${stats.slowest.index} (${
    stats.slowest.ms.toFixed(1)
  } ms)`,
);
if (json !== undefined) {
  await Deno.writeTextFile(json, JSON.stringify(summary, null, 2) + "\n");
}
if (failure !== undefined) {
  console.log(
    `FAILED at input ${failure.index} (seed ${failure.seed}, ${failure.kind}, STOMP ${failure.version}): ${failure.message}`,
  );
  console.log(`  input: ${failure.input}`);
  console.log(
    `  replay: deno task fuzz:offline --seed=${failure.seed} --from=${failure.index} --count=1`,
  );
  Deno.exit(1);
}
console.log("  all rules held");
