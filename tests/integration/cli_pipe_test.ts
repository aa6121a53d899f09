// The stomper command-line tool piped into a real `head -1`, against
// RabbitMQ: when its standard output closes, it must stop, acknowledge
// nothing it did not write, and exit 141, in every output mode, so that the
// messages nobody read stay in the queue.

import { assertEquals } from "@std/assert";
import {
  BROKERS,
  cliCommandLine,
  connectTo,
  Inbox,
  START_HINT,
  withGuest,
} from "./_client.ts";
import { uniqueQueue, within } from "../_helpers.ts";

/**
 * `stomper ... | head -1` run by bash. Standard output is head's alone (bash
 * lets go of its own copy), so it ends when head exits. Standard error has
 * the tool's process id first (`stomper pid N`), then whatever the tool
 * wrote, then `stomper exited N` with its exit status.
 */
class Pipeline implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly stdout: Promise<string>;
  readonly #stderr: Promise<void>;
  #errors = "";

  constructor(...args: string[]) {
    const stomper = cliCommandLine(...args);
    const script = `{ ${stomper} & pid=$!
  echo "stomper pid $pid" >&2
  wait $pid
  echo "stomper exited $?" >&2
} | head -1 &
exec >/dev/null
wait`;
    const child = new Deno.Command("bash", {
      args: ["-c", script],
      cwd: new URL("../../", import.meta.url).pathname,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.stdout = new Response(child.stdout).text();
    this.#stderr = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        this.#errors += decoder.decode(chunk, { stream: true });
      }
    })();
  }

  /** What the tool wrote to standard error, once bash has exited. */
  async stderr(): Promise<string> {
    await this.#child.status;
    await this.#stderr;
    return this.#errors.replace(/^stomper pid \d+\n/, "");
  }

  get status(): Promise<Deno.CommandStatus> {
    return this.#child.status;
  }

  /** Stops the tool and bash if a failed test left them running. */
  async [Symbol.asyncDispose](): Promise<void> {
    const pid = /^stomper pid (\d+)/.exec(this.#errors)?.[1];
    if (pid !== undefined && !this.#errors.includes("stomper exited")) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch {
        // Exited meanwhile.
      }
    }
    await this.#child.status;
    await Promise.all([this.stdout, this.#stderr]);
  }
}

for (
  const [mode, flags, newline] of [
    ["the default output", [], ""],
    ["--show-headers", ["--show-headers"], ""],
    ["--json", ["--json"], ""],
    ["--raw", ["--raw"], "\n"],
  ] as const
) {
  Deno.test(`stomper cli subscribe ${mode} --ack client-individual | head -1 acknowledges only the message head read, then exits 141`, async () => {
    const queue = uniqueQueue("cli-pipe");
    await using client = await connectTo(BROKERS.rabbitmqTcp);
    const body = (n: number) => `message ${n}${newline}`;
    await client.send(queue, body(1), { receipt: true });
    await using child = new Pipeline(
      "subscribe",
      withGuest(BROKERS.rabbitmqTcp),
      queue,
      "--ack",
      "client-individual",
      ...flags,
    );
    // Standard output ends when head has written its line and exited.
    const out = await within(child.stdout, 30000, "head's output");
    assertEquals(out.split("\n").length, 2, `one line: ${out}\n${START_HINT}`);
    // The other ten arrive once nobody reads: the first one the tool takes
    // finds its standard output closed.
    for (let n = 2; n <= 11; n++) {
      await client.send(queue, body(n), { receipt: true });
    }
    const status = await within(child.status, 10000, "the tool's exit");
    const errors = await child.stderr();
    assertEquals(status.code, 0, errors);
    // Exited quietly, as a tool stopped by SIGPIPE does.
    assertEquals(errors, "stomper exited 141\n");
    // Only the first was acknowledged: the ten are still queued.
    const subscription = await client.subscribe(queue, { receipt: true });
    const inbox = new Inbox(subscription);
    const left = (await inbox.take(10)).map((message) => message.text).sort();
    assertEquals(
      left,
      Array.from({ length: 10 }, (_, i) => body(i + 2)).sort(),
    );
    assertEquals(await inbox.next(300), undefined, "nothing more");
    await subscription.unsubscribe();
  });
}
