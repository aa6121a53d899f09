// Where the stomper tool reads and writes: the CliIO it is given, and the
// Deno process's streams by default. A failed write to standard output is
// an OutputError, so the tool can stop without acknowledging what it could
// not write.

import { concat } from "@std/bytes";

/** Where the tool reads and writes; the defaults use the Deno process. */
export interface CliIO {
  /**
   * Writes one line of output. It may be an async function: the tool waits
   * for a promise it returns before going on (before acknowledging the
   * message it printed, say), and a rejection, like an exception, means
   * standard output failed (see `runCli`).
   */
  print(line: string): void;
  /** Writes one line to the error stream. */
  error(line: string): void;
  /**
   * Reads all of standard input (the body of `send` when none is given).
   * Nothing is sent before it resolves; once `signal` aborts, its result is
   * ignored. `send --lines` splits what it returns into lines; without it,
   * `send --lines` reads the Deno process's standard input as it comes,
   * sending each line once read.
   */
  readStdin?(): Promise<Uint8Array>;
  /** Reads a text file (the `--ca` certificate, the `--passcode-file`). */
  readTextFile?(path: string): Promise<string>;
  /**
   * Writes bytes to standard output as they are (`subscribe --raw`); by
   * default to the Deno process's standard output.
   */
  write?(bytes: Uint8Array): Promise<void>;
  /**
   * Reads an environment variable (`STOMP_CA`, `STOMP_LOGIN`,
   * `STOMP_PASSCODE`); by default from the Deno process, as unset when it
   * may not read the environment.
   */
  env?(name: string): string | undefined;
  /**
   * Stops the tool, as Ctrl-C does, whatever it is doing (connecting,
   * reading standard input, waiting for a RECEIPT, receiving or
   * acknowledging): it sends nothing more, ends its subscription,
   * disconnects (waiting at most 500 ms for the broker) and returns 130, or
   * 143 when the signal's reason is `"SIGTERM"`.
   */
  signal?: AbortSignal | undefined;
}

/**
 * Standard output failed: `closed` when its reader went away (EPIPE), which
 * ends the tool quietly with {@linkcode OUTPUT_CLOSED}.
 */
export class OutputError extends Error {
  readonly closed: boolean;
  constructor(cause: unknown) {
    const closed = cause instanceof Error &&
      (cause.name === "BrokenPipe" ||
        (cause as { code?: unknown }).code === "EPIPE");
    super(
      `Cannot write to standard output: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.closed = closed;
  }
}

/**
 * The exit status when standard output closed: 128 + 13 (SIGPIPE), what a
 * shell reports for a tool that SIGPIPE ended, so `set -o pipefail` and
 * `$PIPESTATUS` read it the same way.
 */
export const OUTPUT_CLOSED = 141;

const noop = () => {};

/** The message of an input over the largest body the tool sends. */
function tooLong(what: string, limit: number): string {
  return `Cannot send ${what}: it is over ${limit} bytes, the largest body the tool sends (maxSendBodyBytes)`;
}

/**
 * Reads a stream to its end; cancels it when the signal aborts. Past `limit`
 * bytes it cancels the stream and throws a RangeError, so an input that never
 * ends (`/dev/zero`) is not held in memory.
 */
export async function readAll(
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  limit = Infinity,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const cancel = () => reader.cancel(signal?.reason).catch(noop);
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    let length = 0;
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.length;
      if (length > limit) {
        signal?.throwIfAborted();
        await reader.cancel().catch(noop);
        throw new RangeError(tooLong("standard input", limit));
      }
      chunks.push(value);
    }
    // A cancelled read ends as the end of input would, with the body cut
    // short: it must not be sent.
    signal?.throwIfAborted();
    return concat(chunks);
  } finally {
    signal?.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
}

const LF = 0x0a;
const CR = 0x0d;

/** A line of input, without its LF or CRLF. */
export interface InputLine {
  /** Its bytes: a view into what was read. */
  readonly bytes: Uint8Array;
  /** Its number in the input, from 1, empty lines counted. */
  readonly number: number;
}

/**
 * The lines of a stream as they arrive, each without its LF or CRLF; a last
 * line without an LF too. A line within one chunk is a view of it; one that
 * spans chunks is gathered once its end comes. When the signal aborts the
 * stream is cancelled and the generator throws the signal's reason: a line
 * cut short by the abort is never yielded. A line longer than `limit` bytes
 * (its LF or CRLF left out) cancels the stream and throws a RangeError once
 * that much of it was read, so a line that never ends is not held in memory.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  limit = Infinity,
): AsyncGenerator<InputLine> {
  const reader = stream.getReader();
  const cancel = () => reader.cancel(signal?.reason).catch(noop);
  signal?.addEventListener("abort", cancel, { once: true });
  let number = 0;
  const tooLongLine = async () => {
    await reader.cancel().catch(noop);
    return new RangeError(
      tooLong(`line ${number + 1} of standard input`, limit),
    );
  };
  const line = async (bytes: Uint8Array): Promise<InputLine> => {
    if (bytes.at(-1) === CR) bytes = bytes.subarray(0, -1);
    if (bytes.length > limit) throw await tooLongLine();
    return { bytes, number: ++number };
  };
  try {
    // The pieces of a line that started in an earlier chunk.
    let pieces: Uint8Array[] = [];
    let pending = 0;
    while (true) {
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) break;
      let from = 0;
      for (
        let at = value.indexOf(LF);
        at !== -1;
        at = value.indexOf(LF, from)
      ) {
        const end = value.subarray(from, at);
        yield await line(pieces.length === 0 ? end : concat([...pieces, end]));
        pieces = [];
        pending = 0;
        from = at + 1;
      }
      if (from < value.length) {
        pieces.push(value.subarray(from));
        pending += value.length - from;
        // One byte more than the limit may be the CR of a CRLF.
        if (pending > limit + 1) throw await tooLongLine();
      }
    }
    if (pieces.length > 0) yield await line(concat(pieces));
  } finally {
    signal?.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
}

/** A stream of bytes already read whole, for {@linkcode readLines}. */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** The environment variable, or undefined when unset or not readable. */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** Writes all of the bytes to the process's standard output. */
export async function writeStdout(bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += await Deno.stdout.write(bytes.subarray(at));
  }
}

/**
 * Standard output as lines: the lines printed in one turn go out together in
 * one write, after the writes before them. The promise of a line settles
 * when the write holding it has.
 */
export function stdoutLines(): (line: string) => Promise<void> {
  const encoder = new TextEncoder();
  let queued: string[] = [];
  let next: Promise<void> | undefined;
  let tail: Promise<void> = Promise.resolve();
  const flush = () => {
    const text = `${queued.join("\n")}\n`;
    queued = [];
    next = undefined;
    return writeStdout(encoder.encode(text));
  };
  return (line) => {
    queued.push(line);
    // After a failed write the next one is tried, and fails the same way.
    next ??= tail = tail.then(flush, flush);
    return next;
  };
}
