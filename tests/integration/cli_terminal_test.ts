// The stomper command-line tool run at a terminal, through a real pseudo
// terminal (util-linux's script): a send with no body waits for standard
// input, and must say so rather than sit silent.

import { assertEquals, assertMatch } from "@std/assert";
import { cliCommandLine } from "./_client.ts";
import { eventually } from "../_helpers.ts";
import { StompTestBroker } from "../../src/testing/mod.ts";

/** The CLI at a terminal: what it wrote there, and a way to type. */
class AtTerminal implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #typing: WritableStreamDefaultWriter<Uint8Array>;
  readonly #read: Promise<void>;
  screen = "";

  constructor(...args: string[]) {
    this.#child = new Deno.Command("script", {
      args: ["-qec", cliCommandLine(...args), "/dev/null"],
      cwd: new URL("../../", import.meta.url).pathname,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#typing = this.#child.stdin.getWriter();
    const stdout = this.#child.stdout;
    this.#read = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stdout) {
        this.screen += decoder.decode(chunk, { stream: true });
      }
    })();
  }

  async type(text: string): Promise<void> {
    await this.#typing.write(new TextEncoder().encode(text));
  }

  async exited(): Promise<number> {
    const { code } = await this.#child.status;
    await this.#read;
    return code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
    await this.#typing.close().catch(() => {});
    await this.#child.status;
    await this.#read;
  }
}

for (const lines of [false, true]) {
  const mode = lines ? "send --lines" : "send";
  Deno.test(`stomper cli ${mode} at a terminal says it reads standard input until Ctrl-D, then sends what was typed`, async () => {
    await using broker = StompTestBroker.listen();
    await using cli = new AtTerminal(
      "send",
      broker.url,
      "/queue/typed",
      ...(lines ? ["--lines"] : []),
    );
    await eventually(
      () => /standard input/.test(cli.screen),
      5000,
      "a word on standard input before anything is typed",
    );
    assertMatch(
      cli.screen,
      lines
        ? /^stomper: Reading standard input: one message per line, until end of input \(Ctrl-D\)\r?$/m
        : /^stomper: Reading the body from standard input, until end of input \(Ctrl-D\)\r?$/m,
    );
    // The terminal's end of input: Ctrl-D at the start of a line.
    await cli.type("typed\n\x04");
    assertEquals(await cli.exited(), 0, cli.screen);
    assertEquals(broker.depth("/queue/typed"), 1);
  });
}

Deno.test("stomper cli send with its standard input not a terminal says nothing of it", async () => {
  await using broker = StompTestBroker.listen();
  const { code, stderr } = await new Deno.Command("bash", {
    args: [
      "-c",
      `echo piped | ${cliCommandLine("send", broker.url, "/queue/piped")}`,
    ],
    cwd: new URL("../../", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assertEquals(code, 0, text);
  assertEquals(text, "Sent 6 bytes to /queue/piped (receipt confirmed)\n");
});
