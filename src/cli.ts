/**
 * The `stomper` command-line tool: send a message to a STOMP broker, or
 * subscribe and print what arrives. It sits on top of the client.
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-env jsr:@stomper/stomp/cli \
 *   send tcp://guest:guest@localhost:61613 /queue/a "hello"
 * deno run --allow-net --allow-read --allow-env jsr:@stomper/stomp/cli \
 *   subscribe tcp://guest:guest@localhost:61613 /queue/a --count 1
 * ```
 *
 * @example Running the tool in-process
 * ```ts
 * import { runCli } from "@stomper/stomp/cli";
 * import { assertEquals } from "@std/assert";
 *
 * const lines: string[] = [];
 * const status = await runCli(["--version"], {
 *   print: (line) => lines.push(line),
 *   error: (line) => lines.push(line),
 * });
 * assertEquals(status, 0);
 * assertEquals(lines[0]?.startsWith("stomper "), true);
 * ```
 *
 * @module
 */

import { CLI_VERSION, parse, USAGE, UsageError } from "./cli/_flags.ts";
import {
  type CliIO,
  OUTPUT_CLOSED,
  OutputError,
  readEnv,
  stdoutLines,
} from "./cli/_io.ts";
import { run, stoppedStatus } from "./cli/_run.ts";
import { failure, hideSecrets, knownSecrets } from "./cli/_secrets.ts";

export { CLI_VERSION } from "./cli/_flags.ts";
export type { CliIO } from "./cli/_io.ts";

/** Prints lines of help; the exit status. */
async function printAll(lines: string[], io: CliIO): Promise<number> {
  try {
    await Promise.all(lines.map((line) => io.print(line)));
    return 0;
  } catch (cause) {
    const error = new OutputError(cause);
    if (error.closed) return OUTPUT_CLOSED;
    io.error(`stomper: ${error.message}`);
    return 1;
  }
}

/**
 * Runs the tool with these arguments and returns its exit status: 0 on
 * success, 1 when the broker or the connection fails, 2 for a usage error.
 * When `io.signal` aborts, the tool stops (see {@linkcode CliIO.signal}) and
 * returns 130, or 143 when the signal's reason is `"SIGTERM"`. When standard
 * output fails (`io.print` or `io.write` rejects), `subscribe` takes no more
 * messages, does not acknowledge the one it could not write, unsubscribes,
 * disconnects and returns 141 if the output closed (an error named
 * `BrokenPipe` or with code `EPIPE`, reported by nothing else), 1 otherwise.
 * Errors are written through `io.error`, never thrown, with the passcode and
 * any URL's password shown as `***`; an `io.error` that throws is ignored,
 * the status unchanged. The process is never exited.
 *
 * @example Showing the help
 * ```ts
 * import { runCli } from "@stomper/stomp/cli";
 * import { assertEquals } from "@std/assert";
 *
 * const out: string[] = [];
 * assertEquals(await runCli(["--help"], { print: (l) => out.push(l), error: () => {} }), 0);
 * assertEquals(out.some((line) => line.includes("stomper send <url>")), true);
 * ```
 *
 * @param args The command-line arguments, without the program name.
 * @param io Where to read and write.
 * @returns The exit status.
 */
export async function runCli(
  args: readonly string[],
  io: CliIO,
): Promise<number> {
  // Every line written to the error stream, trace included, hides the
  // passwords of URLs and, as a last defence, each secret value known.
  const secrets = knownSecrets(args, io);
  // A line that cannot be written (standard error on a full disk) changes
  // nothing of what was done: a message sent stays sent, and exits 0.
  const error = (line: string) => {
    try {
      io.error(hideSecrets(line, secrets));
    } catch {
      // Nowhere left to say it.
    }
  };
  const safe: CliIO = { ...io, error };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    safe.error(`stomper: ${error.message}`);
    safe.error("Run stomper --help for usage.");
    return 2;
  }
  if (parsed === "help") return await printAll(USAGE.split("\n"), safe);
  if (parsed === "version") {
    return await printAll([`stomper ${CLI_VERSION}`], safe);
  }
  let status: number;
  try {
    status = await run(parsed, safe, secrets);
  } catch (error) {
    // Whatever failed after the signal failed because of it.
    if (io.signal?.aborted) return stoppedStatus(io.signal);
    if (error instanceof UsageError) {
      safe.error(`stomper: ${error.message}`);
      return 2;
    }
    // A reader that went away is the end of the pipe, not a failure to
    // report (as with SIGPIPE).
    if (error instanceof OutputError && error.closed) return OUTPUT_CLOSED;
    const caGiven = parsed.ca !== undefined ||
      Boolean((io.env ?? readEnv)("STOMP_CA"));
    safe.error(`stomper: ${failure(error, caGiven)}`);
    return 1;
  }
  return io.signal?.aborted ? stoppedStatus(io.signal) : status;
}

if (import.meta.main) {
  const controller = new AbortController();
  // Windows has no SIGTERM to listen to.
  const signals = Deno.build.os === "windows"
    ? ["SIGINT"] as const
    : ["SIGINT", "SIGTERM"] as const;
  for (const name of signals) {
    Deno.addSignalListener(name, () => controller.abort(name));
  }
  const status = await runCli(Deno.args, {
    // Not console.log, which ignores a closed standard output: the tool must
    // know, so as not to acknowledge what nobody read.
    print: stdoutLines(),
    error: (line) => console.error(line),
    signal: controller.signal,
  });
  Deno.exit(status);
}
