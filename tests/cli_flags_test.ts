import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  type CliOptions,
  ENVIRONMENT,
  type Flag,
  FLAGS,
  flagTerm,
  parse,
  type Parsed,
  USAGE,
  UsageError,
} from "../src/cli/_flags.ts";

const BASE = ["subscribe", "tcp://127.0.0.1:61613", "/queue/a"];

type ValueFlag = Extract<Flag, { arg: string }>;

/**
 * A value each flag with a value accepts, and what the parsed options hold
 * for it. Typed by the table, so a flag added there without a case here
 * does not compile.
 */
const SAMPLES: {
  [F in ValueFlag as F["name"]]: [
    string,
    CliOptions[F["key"] & keyof CliOptions],
  ];
} = {
  "--header": ["x-kind:greeting", [["x-kind", "greeting"]]],
  "--content-type": ["text/plain", "text/plain"],
  "--count": ["3", 3],
  "--ack": ["client-individual", "client-individual"],
  "--host": ["vhost", "vhost"],
  "--ca": ["ca.pem", "ca.pem"],
  "--passcode-file": ["pw.txt", "pw.txt"],
  "--max-message-bytes": ["8192", 8192],
  "--wait": ["1.5", 1.5],
};

/** The command line each flag is tried on: `send` for a send-only flag. */
function baseFor(flag: Flag): string[] {
  return flag.name === "--lines" ? ["send", ...BASE.slice(1)] : BASE;
}

function parsed(args: string[]): Parsed {
  const result = parse(args);
  if (typeof result === "string") throw new Error(`Got action ${result}`);
  return result;
}

Deno.test("FLAGS each appear in the usage, with their value's placeholder and their help", () => {
  const lines = USAGE.split("\n");
  for (const flag of FLAGS) {
    const term = flagTerm(flag);
    const line = lines.find((line) => line.startsWith(`  ${term} `));
    assert(line !== undefined, term);
    // The help starts on the flag's line, in the column of all the others.
    assertEquals(line.slice(0, 24).trim(), term);
    assert(line.slice(24).startsWith(flag.help.split(" ")[0]!), term);
    // And all of it is there, whatever the wrapping.
    const words = USAGE.replace(/\s+/g, " ");
    assert(words.includes(flag.help), term);
  }
  for (const { name, help } of ENVIRONMENT) {
    assert(USAGE.replace(/\s+/g, " ").includes(`${name} ${help}`), name);
  }
  for (const line of lines) assert(line.length <= 82, line);
  // Only the fixed synopsis line runs past 79 columns.
  assertEquals(lines.filter((line) => line.length > 79).length, 1);
});

Deno.test("FLAGS each parse: a switch to true, a value through its check, both spellings", () => {
  const defaults = parsed(BASE);
  for (const flag of FLAGS) {
    if ("action" in flag) {
      assertEquals(parse([...BASE, flag.name]), flag.key);
      assertEquals(parse([flag.short]), flag.key);
      continue;
    }
    if (!("arg" in flag)) {
      assertEquals(defaults[flag.key], false, flag.name);
      const base = baseFor(flag);
      assertEquals(parsed([...base, flag.name])[flag.key], true, flag.name);
      assertThrows(
        () => parse([...base, `${flag.name}=1`]),
        UsageError,
        "Unknown option",
      );
      continue;
    }
    const [text, value] = SAMPLES[flag.name];
    assertEquals(parsed([...BASE, flag.name, text])[flag.key], value);
    assertEquals(parsed([...BASE, `${flag.name}=${text}`])[flag.key], value);
    assertThrows(
      () => parse([...BASE, flag.name]),
      UsageError,
      `Option ${flag.name} needs a value`,
    );
  }
});

Deno.test("FLAGS yield the defaults of absent flags, the last of a repeated value, every value of a repeatable one", () => {
  const options = parsed(BASE);
  assertEquals(options.ack, "auto");
  assertEquals(options.count, undefined);
  assertEquals(options.headers, []);
  assertEquals(parsed([...BASE, "--count", "1", "--count=2"]).count, 2);
  assertEquals(parsed([...BASE, "--header", "a:1", "--header=b:2"]).headers, [
    ["a", "1"],
    ["b", "2"],
  ]);
  // The types follow the table.
  const count: number | undefined = options.count;
  const ack: "auto" | "client" | "client-individual" = options.ack;
  const headers: [string, string][] = options.headers;
  const raw: boolean = options.raw;
  assertEquals([count, ack, headers.length, raw], [
    undefined,
    "auto",
    0,
    false,
  ]);
});

Deno.test("parse refuses an unknown option and a flag's bad value with a UsageError", () => {
  assertThrows(
    () => parse([...BASE, "--bogus"]),
    UsageError,
    'Unknown option "--bogus"',
  );
  assertThrows(
    () => parse([...BASE, "--count", "0"]),
    UsageError,
    'Option --count must be a positive integer, got "0"',
  );
  assertThrows(
    () => parse([...BASE, "--ack=manual"]),
    UsageError,
    "Option --ack must be auto, client or client-individual",
  );
});

Deno.test("parse takes a whole-number flag only as plain decimal digits", () => {
  assertEquals(parsed([...BASE, "--count", "007"]).count, 7);
  assertEquals(
    parsed([...BASE, "--max-message-bytes=65536"]).maxMessageBytes,
    65536,
  );
  for (const name of ["--count", "--max-message-bytes"]) {
    for (
      const text of [
        "1e3",
        "0x10",
        "0b11",
        "0o7",
        " 5",
        "5 ",
        "+5",
        "5.0",
        "1_000",
        "",
        "9007199254740992",
      ]
    ) {
      assertThrows(
        () => parse([...BASE, name, text]),
        UsageError,
        `Option ${name} must be a positive integer, got ${
          JSON.stringify(text)
        }`,
      );
    }
  }
});

Deno.test("parse takes --wait as a decimal number of seconds and refuses one a timer cannot hold", () => {
  assertEquals(parsed([...BASE, "--wait", "0.25"]).wait, 0.25);
  assertEquals(parsed([...BASE, "--wait=2147483"]).wait, 2147483);
  assertEquals(parsed([...BASE, "--wait", ".5"]).wait, 0.5);
  for (
    const text of [
      "0",
      "-1",
      "abc",
      "",
      " ",
      "2147484",
      "Infinity",
      "NaN",
      "1e3",
      "0x10",
      " 5",
      "5 ",
      "+5",
      "1.",
      ".",
    ]
  ) {
    assertThrows(
      () => parse([...BASE, "--wait", text]),
      UsageError,
      `Option --wait must be a number of seconds above 0 and at most 2147483, got ${
        JSON.stringify(text)
      }`,
    );
  }
});

Deno.test("parse refuses an empty <destination> for send and subscribe", () => {
  for (
    const args of [["send", BASE[1]!, "", "hi"], ["subscribe", BASE[1]!, ""]]
  ) {
    assertThrows(
      () => parse(args),
      UsageError,
      `Empty <destination> for ${args[0]}`,
    );
  }
});

Deno.test("parse keeps --lines to send and --wait, --reconnect to subscribe", () => {
  const send = ["send", ...BASE.slice(1)];
  assertEquals(parsed([...send, "--lines"]).lines, true);
  assertEquals(parsed([...send, "-", "--lines"]).body, "-");
  assertEquals(parsed([...BASE, "--reconnect", "--wait", "3"]).reconnect, true);
  for (
    const [args, message] of [
      [[...BASE, "--lines"], "Option --lines cannot be used with subscribe"],
      [[...send, "--wait=1"], "Option --wait cannot be used with send"],
      [[...send, "--reconnect"], "Option --reconnect cannot be used with send"],
      [
        [...send, "--lines", "--count=1"],
        "Option --lines cannot be used with --count",
      ],
      [
        [...send, "x", "--lines"],
        "Option --lines reads the bodies from standard input",
      ],
    ] as const
  ) {
    assertThrows(() => parse(args), UsageError, message);
  }
});
