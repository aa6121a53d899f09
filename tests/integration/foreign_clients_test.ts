// Clients nobody here wrote against StompTestBroker, each with its own API
// (the programs are in foreign/): @stomp/stompjs 7 under Node over TCP and
// over WebSocket with the `ws` package, stomp.py (Debian's python3-stomp),
// ruby-stomp (Debian's ruby-stomp) and python3-stomper, the frame library
// this project descends from, over a plain socket. Every client connects,
// subscribes with client acknowledgement, sends two messages (the second with
// a receipt), ACKs the first, NACKs the second (1.1 and 1.2) and ACKs its
// redelivery, and disconnects; the test checks what the client received and
// what the broker saw. The broker runs here, in-process, on 127.0.0.1.
//
// Nothing is skipped: a client that is not installed fails its test with the
// command that installs it (`bash scripts/brokers.sh install` installs the
// Debian ones; the npm packages are installed here, into a cache directory).

import { assert, assertEquals, assertMatch } from "@std/assert";
import type { StompFrame } from "@stomper/stomp";
import {
  StompTestBroker,
  type StompTestBrokerOptions,
} from "@stomper/stomp/testing";
import { eventually, uniqueQueue } from "../_helpers.ts";

const FOREIGN = new URL("./foreign/", import.meta.url);
// Debian's interpreters: the Debian packages are installed for them, not for
// a python or ruby earlier on PATH.
const PYTHON = "/usr/bin/python3";
const RUBY = "/usr/bin/ruby";
const NODE = "/usr/bin/node";
const NPM_PACKAGES = ["@stomp/stompjs@7", "@stomp/tcp-wrapper@1", "ws@8"];

type Version = "1.0" | "1.1" | "1.2";

/** What a client program prints: its last stdout line. */
interface Result {
  /** CONNECTED's version header (none for 1.0). */
  version: string | null;
  /** CONNECTED's server header. */
  server: string;
  /** The WebSocket subprotocol the client ended up with, for WebSocket. */
  protocol?: string | null;
  received: { body: string; n: string; redelivered: boolean }[];
  receipts: string[];
}

/** Runs a command; its status and output. */
async function run(
  command: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

const checked = new Map<string, Promise<void>>();

/** Fails (once per client, with how to install it) when a probe fails. */
function need(
  name: string,
  command: string,
  args: string[],
  install: string,
): Promise<void> {
  let probe = checked.get(name);
  if (probe === undefined) {
    probe = (async () => {
      let failure: string;
      try {
        const { code, stderr } = await run(command, args);
        if (code === 0) return;
        failure = stderr.trim().split("\n").at(-1) ?? `exit ${code}`;
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
      throw new Error(
        `Cannot run ${name}: ${failure}; install it with ${install}`,
      );
    })();
    checked.set(name, probe);
  }
  return probe;
}

const DEBIAN = (pkg: string) =>
  `"apt-get install -y ${pkg}" or "bash scripts/brokers.sh install" (as root)`;

/** The npm directory of the Node client, installed on first use. */
function npmDirectory(): string {
  const cache = Deno.env.get("XDG_CACHE_HOME") ??
    `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${cache}/stomper/foreign-clients-npm`;
}

async function installed(dir: string): Promise<boolean> {
  for (const name of ["@stomp/stompjs", "@stomp/tcp-wrapper", "ws"]) {
    try {
      await Deno.stat(`${dir}/node_modules/${name}/package.json`);
    } catch {
      return false;
    }
  }
  return true;
}

let npmReady: Promise<string> | undefined;

function npmPackages(): Promise<string> {
  npmReady ??= (async () => {
    await need("node", NODE, ["--version"], DEBIAN("nodejs"));
    const dir = npmDirectory();
    if (await installed(dir)) return dir;
    await Deno.mkdir(dir, { recursive: true });
    const { code, stderr } = await run("npm", [
      "install",
      "--prefix",
      dir,
      "--no-fund",
      "--no-audit",
      "--no-save",
      ...NPM_PACKAGES,
    ], 120_000);
    if (code !== 0 || !(await installed(dir))) {
      throw new Error(
        `Cannot install ${NPM_PACKAGES.join(" ")} into ${
          JSON.stringify(dir)
        }: ${stderr.trim()}; run "npm install --prefix ${dir} ${
          NPM_PACKAGES.join(" ")
        }" (the npm registry must be reachable)`,
      );
    }
    return dir;
  })();
  return npmReady;
}

interface Client {
  name: string;
  /** Makes sure the client is there; returns extra config. */
  prepare(): Promise<Record<string, unknown>>;
  command: string;
  script: string;
}

const STOMP_PY: Client = {
  name: "stomp.py",
  prepare: async () => {
    await need(
      "stomp.py",
      PYTHON,
      ["-c", "import stomp"],
      DEBIAN("python3-stomp"),
    );
    return {};
  },
  command: PYTHON,
  script: "stomppy.py",
};

const RUBY_STOMP: Client = {
  name: "ruby-stomp",
  prepare: async () => {
    await need(
      "ruby-stomp",
      RUBY,
      ["-e", 'require "stomp"'],
      DEBIAN("ruby-stomp"),
    );
    return {};
  },
  command: RUBY,
  script: "ruby_stomp.rb",
};

const STOMPER: Client = {
  name: "python3-stomper",
  prepare: async () => {
    await need(
      "python3-stomper",
      PYTHON,
      ["-c", "import stomper.stompbuffer"],
      DEBIAN("python3-stomper"),
    );
    return {};
  },
  command: PYTHON,
  script: "stomper_socket.py",
};

const STOMPJS: Client = {
  name: "stompjs",
  prepare: async () => ({ nodeModules: await npmPackages() }),
  command: NODE,
  script: "stompjs.mjs",
};

interface Run {
  broker: StompTestBroker;
  queue: string;
  /** Every frame the broker received, in order. */
  frames: StompFrame[];
  code: number;
  stdout: string;
  stderr: string;
}

/** Starts a broker, runs a client program against it, returns both. */
async function runClient(
  client: Client,
  config:
    & { version: Version | null; transport: "tcp" | "ws" }
    & Record<
      string,
      unknown
    >,
  brokerOptions: StompTestBrokerOptions = {},
): Promise<Run> {
  const extra = await client.prepare();
  const frames: StompFrame[] = [];
  const broker = StompTestBroker.listen({
    login: "guest",
    passcode: "guest",
    webSocket: config.transport === "ws",
    onFrame: (frame) => frames.push(frame),
    ...brokerOptions,
  });
  const queue = uniqueQueue(`foreign-${client.name}`);
  try {
    const output = await run(client.command, [
      new URL(client.script, FOREIGN).pathname,
      JSON.stringify({
        host: broker.hostname,
        port: broker.port,
        ws: broker.webSocketUrl ?? null,
        queue,
        login: "guest",
        passcode: "guest",
        ...extra,
        ...config,
      }),
    ]);
    return { broker, queue, frames, ...output };
  } catch (error) {
    await broker.close();
    throw error;
  }
}

/** Runs the scenario and checks both sides. */
async function scenario(
  client: Client,
  version: Version | null,
  transport: "tcp" | "ws" = "tcp",
): Promise<Result> {
  const { broker, queue, frames, code, stdout, stderr } = await runClient(
    client,
    { version, transport },
  );
  await using _ = broker;
  assertEquals(code, 0, `${client.name} failed:\n${stderr}${stdout}`);
  const result: Result = JSON.parse(stdout.trim().split("\n").at(-1)!);
  const negotiated = version ?? "1.2";

  // What the client received.
  assertEquals(result.server, "stomper-test-broker");
  // A 1.0 CONNECTED has no version header.
  assertEquals(result.version, negotiated === "1.0" ? null : negotiated);
  const one = { body: "one", n: "1", redelivered: false };
  const two = { body: "two ü", n: "2", redelivered: false };
  assertEquals(
    result.received,
    negotiated === "1.0"
      ? [one, two]
      : [one, two, { ...two, redelivered: true }],
  );
  assert(result.receipts.includes("r-send"), JSON.stringify(result.receipts));

  // What the broker saw.
  const commands = frames.map((f) => f.command);
  assertMatch(commands[0]!, /^(CONNECT|STOMP)$/);
  const connect = frames[0]!;
  assertEquals(connect.headers.get("login"), "guest");
  if (version !== null && version !== "1.0") {
    assertEquals(connect.headers.get("accept-version"), version);
  }
  assertEquals(commands[1], "SUBSCRIBE");
  assertEquals(frames[1]!.headers.get("destination"), queue);
  assertEquals(
    frames[1]!.headers.get("ack"),
    negotiated === "1.0" ? "client" : "client-individual",
  );
  assertEquals(commands.at(-1), "DISCONNECT");
  // The middle: sends and acknowledgements; a client may ACK the first
  // message before it writes the second SEND.
  const middle = frames.slice(2, -1);
  const sends = middle.filter((f) => f.command === "SEND");
  assertEquals(
    sends.map((
      f,
    ) => [f.headers.get("destination"), f.headers.get("n"), f.text]),
    [[queue, "1", "one"], [queue, "2", "two ü"]],
  );
  assertEquals(sends[1]!.headers.get("receipt"), "r-send");
  const settles = middle.filter((f) => f.command !== "SEND");
  assertEquals(
    settles.map((f) => f.command),
    negotiated === "1.0" ? ["ACK", "ACK"] : ["ACK", "NACK", "ACK"],
  );
  for (const frame of settles) {
    // Each version's own form (the client's, not ours).
    if (negotiated === "1.2") {
      assertMatch(frame.headers.get("id") ?? "", /^c\d+-\d+$/);
    } else {
      assertMatch(frame.headers.get("message-id") ?? "", /^m-\d+$/);
    }
    if (negotiated === "1.1") {
      assertEquals(frame.headers.get("subscription"), "sub-1");
    }
  }
  // Everything acknowledged: nothing went back to the queue at the end.
  await eventually(() => broker.connections === 0);
  assertEquals(broker.depth(queue), 0);
  assertEquals(broker.unacknowledged(queue), 0);
  return result;
}

for (const version of ["1.0", "1.1", "1.2"] as const) {
  Deno.test(`StompTestBroker serves stomp.py over TCP, STOMP ${version}`, async () => {
    await scenario(STOMP_PY, version);
  });
}

for (const version of ["1.0", "1.1", "1.2"] as const) {
  Deno.test(`StompTestBroker serves ruby-stomp over TCP, STOMP ${version}`, async () => {
    await scenario(RUBY_STOMP, version);
  });
}

Deno.test("StompTestBroker serves python3-stomper over a plain socket, STOMP 1.1 (its StompBuffer needs the EOL after each NUL)", async () => {
  await scenario(STOMPER, "1.1");
});

Deno.test("StompTestBroker with eolAfterFrame false leaves python3-stomper's StompBuffer without a frame", async () => {
  const { broker, frames, code, stderr } = await runClient(
    STOMPER,
    { version: "1.1", transport: "tcp", timeout: 1 },
    { eolAfterFrame: false },
  );
  await using _ = broker;
  // The CONNECTED came (`\0` alone) but StompBuffer waits for `\0\n`.
  assertEquals(frames.map((f) => f.command), ["CONNECT"]);
  assert(code !== 0, "stomper completed a frame");
  assertMatch(stderr, /timed out/);
});

for (const version of ["1.0", "1.1", "1.2"] as const) {
  Deno.test(`StompTestBroker serves @stomp/stompjs 7 in Node over TCP, STOMP ${version}`, async () => {
    await scenario(STOMPJS, version);
  });
}

Deno.test("StompTestBroker serves @stomp/stompjs 7 in Node over WebSocket with ws (subprotocols offered without spaces), picking v12.stomp", async () => {
  const result = await scenario(STOMPJS, null, "ws");
  assertEquals(result.protocol, "v12.stomp");
});
