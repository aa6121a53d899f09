// The command line of the stomper tool, written once: the table of flags
// below yields the parser, the usage text of --help and the type of the
// parsed options. A new flag is one entry here (and its use in _run.ts).

import type { AckMode } from "../builders.ts";
import { TRANSPORT_SCHEMES } from "../transports/open.ts";
import { redactUrl } from "../_redact.ts";

/**
 * The version the tool reports.
 *
 * @example Reading the version
 * ```ts
 * import { CLI_VERSION } from "@stomper/stomp/cli";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(CLI_VERSION, "0.1.0");
 * ```
 */
export const CLI_VERSION = "0.1.0";

/** A command line the tool cannot run: exit status 2. */
export class UsageError extends Error {}

/** One flag of the table. */
export interface FlagSpec {
  /** The long name, as typed. */
  readonly name: `--${string}`;
  /** The one-letter alias, as typed. */
  readonly short?: `-${string}`;
  /** Where the parsed options keep it. */
  readonly key: string;
  /** The placeholder of its value in the usage; a switch has none. */
  readonly arg?: string;
  /** Whether it may be given more than once, each value kept. */
  readonly repeat?: boolean;
  /** Checks and converts a value; the text itself when absent. */
  readonly parse?: (text: string) => unknown;
  /** The value when the flag is not given. */
  readonly default?: unknown;
  /** Ends parsing and runs instead of a command (`--help`). */
  readonly action?: boolean;
  /** What it does: one paragraph, wrapped by the usage. */
  readonly help: string;
}

/**
 * A whole number as a user types it: decimal digits only, so that `Number`
 * never sees the `1e3`, `0x10` or ` 5` it would also take.
 */
const DIGITS = /^[0-9]+$/;

/** A decimal number of the same kind, with an optional fraction: `0.25`, `.5`. */
const DECIMAL = /^[0-9]*\.?[0-9]+$/;

function positiveInteger(name: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!(DIGITS.test(text) && Number.isSafeInteger(value) && value > 0)) {
      throw new UsageError(
        `Option ${name} must be a positive integer, got ${
          JSON.stringify(text)
        }`,
      );
    }
    return value;
  };
}

/** The longest --wait a timer holds: 2^31 - 1 ms, in whole seconds. */
export const MAX_WAIT_SECONDS = 2147483;

function seconds(name: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (
      !DECIMAL.test(text) || !(value > 0 && value <= MAX_WAIT_SECONDS)
    ) {
      throw new UsageError(
        `Option ${name} must be a number of seconds above 0 and at most ${MAX_WAIT_SECONDS}, got ${
          JSON.stringify(text)
        }`,
      );
    }
    return value;
  };
}

function header(text: string): [string, string] {
  const colon = text.indexOf(":");
  if (colon <= 0) {
    throw new UsageError(`Header ${JSON.stringify(text)} is not name:value`);
  }
  // "name: value", as --show-headers prints it and curl takes it: the
  // spaces after the colon would otherwise be part of the value (STOMP
  // trims nothing), and "persistent: true" would not be persistent.
  return [text.slice(0, colon), text.slice(colon + 1).replace(/^[ \t]+/, "")];
}

function ackMode(text: string): AckMode {
  if (text !== "auto" && text !== "client" && text !== "client-individual") {
    throw new UsageError(
      `Option --ack must be auto, client or client-individual, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return text;
}

/** Every flag of the tool, in the order of the usage. */
export const FLAGS = [
  {
    name: "--header",
    key: "headers",
    arg: "name:value",
    repeat: true,
    parse: header,
    help:
      "add a header (repeatable); spaces and tabs after the colon are dropped; not one the tool writes itself (destination, receipt; content-length for send; ack and id for subscribe; content-type with --content-type)",
  },
  {
    name: "--content-type",
    key: "contentType",
    arg: "TYPE",
    help: "content-type of the sent body",
  },
  {
    name: "--no-receipt",
    key: "noReceipt",
    help: "send without waiting for the broker's RECEIPT",
  },
  {
    name: "--count",
    key: "count",
    arg: "N",
    parse: positiveInteger("--count"),
    help:
      "send: send the message N times, in order (a body from standard input is read once); subscribe: exit after N messages, and with --ack client or client-individual ask the broker to deliver at most N at a time (prefetch-count and activemq.prefetchSize headers, at most 65535, unless --header gives either)",
  },
  {
    name: "--lines",
    key: "lines",
    help:
      "send: one message per line of standard input (LF or CRLF ends a line, the ending not sent; empty lines skipped), each sent as soon as its line is read, over one connection; the tool waits for the receipts in a window, not one by one, and exits once the input ends and every receipt has come",
  },
  {
    name: "--ack",
    key: "ack",
    arg: "MODE",
    parse: ackMode,
    default: "auto",
    help:
      "subscribe: auto (default), client or client-individual; the tool acknowledges each message once it is written to standard output, never before",
  },
  {
    name: "--show-headers",
    key: "showHeaders",
    help:
      "subscribe: print each message's headers before its body, one line each, as name: value, with a line break, CR or backslash in them (and a colon in a name) escaped as STOMP 1.2 does: \\n, \\r, \\\\, \\c",
  },
  {
    name: "--json",
    key: "json",
    help:
      "subscribe: one JSON object per message: destination, headers, and body as text, or bodyBase64 for a body that is not UTF-8; a body whose content-type is application/json or ends in +json and which parses is embedded as JSON, digits kept as sent (an invalid one stays text)",
  },
  {
    name: "--wait",
    key: "wait",
    arg: "SECONDS",
    parse: seconds("--wait"),
    help:
      "subscribe: exit 0 once SECONDS (a decimal number) pass without a message; the time starts once subscribed and again after each message is written",
  },
  {
    name: "--reconnect",
    key: "reconnect",
    help:
      "subscribe: when the connection is lost, reconnect with the client's backoff (from 0.5 s, doubling, up to 30 s, 10 tries in a row) and subscribe again, saying so on standard error; a first connection that fails is not retried",
  },
  {
    name: "--raw",
    key: "raw",
    help:
      "subscribe: write each body's bytes to standard output as they are, with nothing between messages (meant for --count 1)",
  },
  {
    name: "--host",
    key: "host",
    arg: "VHOST",
    help: 'the virtual host (default "/")',
  },
  {
    name: "--ca",
    key: "ca",
    arg: "FILE",
    help:
      "a PEM certificate authority to trust for TLS (default: the file the STOMP_CA environment variable names)",
  },
  {
    name: "--passcode-file",
    key: "passcodeFile",
    arg: "FILE",
    help:
      "read the passcode from FILE (one trailing newline is dropped), when the URL has none",
  },
  {
    name: "--text-frames",
    key: "textFrames",
    help: "WebSocket: send frames as text messages",
  },
  {
    name: "--max-message-bytes",
    key: "maxMessageBytes",
    arg: "N",
    parse: positiveInteger("--max-message-bytes"),
    help:
      "WebSocket: split a frame longer than N bytes into several messages (servers that cap WebSocket messages, such as Spring on Tomcat: 8192)",
  },
  {
    name: "--no-content-length",
    key: "noContentLength",
    help:
      "send: leave content-length out of a text body, so that ActiveMQ and Artemis deliver a JMS TextMessage (a body holding NUL is then refused)",
  },
  {
    name: "--trace",
    key: "trace",
    help:
      "write every frame and heart-beat in (<<<) and out (>>>) to standard error, one line each with its size in bytes, passcode and other secrets shown as ***",
  },
  {
    name: "--help",
    short: "-h",
    key: "help",
    action: true,
    help: "show this help",
  },
  {
    name: "--version",
    short: "-V",
    key: "version",
    action: true,
    help: "show the version",
  },
] as const satisfies readonly FlagSpec[];

/** A flag of the table. */
export type Flag = (typeof FLAGS)[number];

/** The flags that run instead of a command. */
type ActionFlag = Extract<Flag, { action: true }>;

/** The value one use of a flag yields. */
type ValueOf<F> = F extends { parse: (text: string) => infer T } ? T
  : string;

/**
 * The options of a command line, one per flag of the table: a switch is a
 * boolean, a flag with a value its parsed value (undefined when absent,
 * unless the flag has a default), a repeatable flag the list of its values.
 */
export type CliOptions = {
  -readonly [F in Exclude<Flag, ActionFlag> as F["key"]]: F extends
    { arg: string } ? F extends { repeat: true } ? ValueOf<F>[]
    : F extends { default: unknown } ? ValueOf<F>
    : ValueOf<F> | undefined
    : boolean;
};

/** A command line the tool runs. */
export interface Parsed extends CliOptions {
  command: "send" | "subscribe";
  url: string;
  destination: string;
  /** The body of `send`: `-` or undefined for standard input. */
  body: string | undefined;
}

const BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(
  FLAGS.flatMap((flag: FlagSpec) =>
    flag.short === undefined
      ? [[flag.name, flag]]
      : [[flag.name, flag], [flag.short, flag]]
  ),
);

/** The words of a command line sorted into flags and positionals. */
interface Words {
  positional: string[];
  /** The values of each flag with a value, in order. */
  values: Map<FlagSpec, string[]>;
  /** The switches given. */
  switches: Set<FlagSpec>;
}

/**
 * Sorts the words by the table: `--name value`, `--name=value`, switches,
 * `--` before positionals; an action flag ends it (its key returned).
 */
function sortWords(args: readonly string[]): Words | ActionFlag["key"] {
  const words: Words = {
    positional: [],
    values: new Map(),
    switches: new Set(),
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const exact = BY_NAME.get(arg);
    if (exact?.action) return exact.key as ActionFlag["key"];
    if (arg === "--") {
      words.positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--")) {
      words.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const flag = BY_NAME.get(name);
    if (flag?.arg !== undefined) {
      const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined) {
        throw new UsageError(`Option ${name} needs a value`);
      }
      words.values.set(flag, [...(words.values.get(flag) ?? []), value]);
    } else if (flag !== undefined && !flag.action && eq === -1) {
      words.switches.add(flag);
    } else {
      throw new UsageError(`Unknown option ${JSON.stringify(arg)}`);
    }
  }
  return words;
}

/** The options the words give, each value checked by its flag. */
function options(words: Words): CliOptions {
  const out: Record<string, unknown> = {};
  for (const flag of FLAGS as readonly FlagSpec[]) {
    if (flag.action) continue;
    if (flag.arg === undefined) {
      out[flag.key] = words.switches.has(flag);
      continue;
    }
    const parse = flag.parse ?? ((text: string) => text);
    const values = words.values.get(flag) ?? [];
    if (flag.repeat) {
      out[flag.key] = values.map(parse);
    } else {
      // The last one given wins.
      const text = values.at(-1);
      out[flag.key] = text === undefined ? flag.default : parse(text);
    }
  }
  return out as CliOptions;
}

/** Refuses a URL the client could not open, before connecting. */
function checkScheme(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Credentials stay out of the message.
    throw new UsageError(`Invalid <url> ${JSON.stringify(redactUrl(url))}`);
  }
  const protocol = parsed.protocol;
  // A `%` not followed by two hex digits (a password such as "50%off"): the
  // client could not decode it, and would say only "URI malformed".
  const parts = { login: parsed.username, password: parsed.password };
  for (const [part, text] of Object.entries(parts)) {
    try {
      decodeURIComponent(text);
    } catch {
      throw new UsageError(
        `Invalid <url> ${
          JSON.stringify(redactUrl(url))
        }: its ${part} is not valid percent-encoding (write % as %25)`,
      );
    }
  }
  if (!TRANSPORT_SCHEMES.includes(protocol)) {
    const accepted = TRANSPORT_SCHEMES.map((scheme) => scheme.slice(0, -1));
    throw new UsageError(
      `Unsupported URL scheme "${protocol.slice(0, -1)}": expected ${
        accepted.slice(0, -1).join(", ")
      } or ${accepted.at(-1)}`,
    );
  }
}

/**
 * The headers each command writes itself, and why. A broker takes the first
 * of a repeated header and the tool's come first, so a --header of one of
 * these names would be dropped in silence (`ack:client-individual` would
 * subscribe with ack:auto).
 */
const OWN_HEADERS: Record<Parsed["command"], Record<string, string>> = {
  send: {
    destination: "the tool sets it to <destination>",
    receipt: "the tool asks for its own receipts (see --no-receipt)",
    "content-length":
      "the tool sets it to the body's size (leave it out with --no-content-length)",
  },
  subscribe: {
    destination: "the tool sets it to <destination>",
    ack: "the tool sets it: use --ack",
    id: "the client numbers subscriptions itself",
    receipt: "the tool asks for its own receipt",
  },
};

/** Refuses a --header the tool would send after its own of that name. */
function checkHeaders(parsed: Parsed): void {
  const own = OWN_HEADERS[parsed.command];
  for (const [name] of parsed.headers) {
    const why = Object.hasOwn(own, name) ? own[name] : undefined;
    if (why !== undefined) {
      throw new UsageError(
        `Option --header cannot set ${JSON.stringify(name)}: ${why}`,
      );
    }
    if (name === "content-type" && parsed.contentType !== undefined) {
      throw new UsageError(
        'Option --header cannot set "content-type" when --content-type is given',
      );
    }
  }
}

/**
 * Parses a command line: the command and its arguments, then the flags of
 * the table, then the checks between them.
 *
 * @throws {UsageError} For a command line the tool cannot run.
 */
export function parse(
  args: readonly string[],
): Parsed | ActionFlag["key"] {
  const words = sortWords(args);
  if (typeof words === "string") return words;
  const [command, url, destination, body, ...extra] = words.positional;
  if (command !== "send" && command !== "subscribe") {
    throw new UsageError(
      command === undefined
        ? "Missing command: send or subscribe"
        : `Unknown command ${
          JSON.stringify(command)
        }: expected send or subscribe`,
    );
  }
  if (url === undefined || destination === undefined) {
    throw new UsageError(
      `Missing ${url === undefined ? "<url>" : "<destination>"} for ${command}`,
    );
  }
  if (destination === "") {
    throw new UsageError(`Empty <destination> for ${command}`);
  }
  if (extra.length > 0 || (command === "subscribe" && body !== undefined)) {
    throw new UsageError(
      `Unexpected argument ${JSON.stringify(extra[0] ?? body)}`,
    );
  }
  checkScheme(url);
  const given = (name: Flag["name"]) => {
    const flag = BY_NAME.get(name)!;
    return words.switches.has(flag) || words.values.has(flag);
  };
  // Flags that belong to the other command.
  const foreign = command === "send"
    ? (["--wait", "--reconnect"] as const)
    : (["--lines"] as const);
  const misplaced = (foreign as readonly Flag["name"][]).find(given);
  if (misplaced !== undefined) {
    throw new UsageError(`Option ${misplaced} cannot be used with ${command}`);
  }
  if (given("--lines")) {
    if (given("--count")) {
      throw new UsageError("Option --lines cannot be used with --count");
    }
    if (body !== undefined && body !== "-") {
      throw new UsageError(
        "Option --lines reads the bodies from standard input: give no [body], or -",
      );
    }
  }
  if (given("--raw")) {
    const other = command === "send"
      ? "send"
      : (["--json", "--show-headers"] as const).find(given);
    if (other !== undefined) {
      throw new UsageError(`Option --raw cannot be used with ${other}`);
    }
  }
  const parsed: Parsed = {
    command,
    url,
    destination,
    body,
    ...options(words),
  };
  checkHeaders(parsed);
  const max = parsed.maxMessageBytes;
  if (max !== undefined && parsed.textFrames && max < 4) {
    throw new UsageError(
      `Option --max-message-bytes must be at least 4 with --text-frames (a character can take 4 bytes), got ${max}`,
    );
  }
  return parsed;
}

/** The environment variables the tool reads, in the order of the usage. */
export const ENVIRONMENT = [
  { name: "STOMP_LOGIN", help: "the login, when the URL has none" },
  {
    name: "STOMP_PASSCODE",
    help:
      "the passcode, when neither the URL nor --passcode-file gives one (a password in the URL wins, then the file)",
  },
  { name: "STOMP_CA", help: "the --ca file, when the option is not given" },
] as const;

/** The width of the usage text. */
const WIDTH = 79;
/** Where the descriptions of flags and variables start. */
const COLUMN = 24;

/** Words filled into lines of at most `width` characters. */
function fill(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

/** A term and its description, as the usage lists them. */
function entry(term: string, help: string): string[] {
  const [first, ...rest] = fill(help, WIDTH - COLUMN);
  return [
    `${`  ${term}`.padEnd(COLUMN - 1)} ${first}`,
    ...rest.map((line) => `${" ".repeat(COLUMN)}${line}`),
  ];
}

/** How a flag is written in the usage: `-h, --help`, `--count N`. */
export function flagTerm(flag: FlagSpec): string {
  return `${flag.short === undefined ? "" : `${flag.short}, `}${flag.name}${
    flag.arg === undefined ? "" : ` ${flag.arg}`
  }`;
}

/** What `--help` prints. */
export const USAGE: string = [
  `stomper ${CLI_VERSION}: send and receive STOMP messages`,
  "",
  "Usage:",
  "  stomper send <url> <destination> [body]    body from standard input when omitted",
  "  stomper subscribe <url> <destination>      print messages as they arrive",
  "",
  ...fill(
    "<url> is tcp:// (or stomp://), tls:// (or stomp+ssl://), ws:// or wss://, with credentials as user:password@ (for example tcp://guest:guest@localhost:61613). A password on the command line shows in ps and in shell history: leave it out of the URL and give it with --passcode-file or STOMP_PASSCODE instead.",
    WIDTH,
  ),
  "",
  "Options:",
  ...FLAGS.flatMap((flag) => entry(flagTerm(flag), flag.help)),
  "",
  "Environment:",
  ...ENVIRONMENT.flatMap(({ name, help }) => entry(name, help)),
  "",
  ...fill(
    "Secrets: the passcode, wherever it came from, is shown as *** in every message and trace line the tool writes.",
    WIDTH,
  ),
  "",
  ...fill(
    "Standard output: when it closes (the reader, such as head, exits) or a write fails, subscribe takes no more messages, leaves the one it could not write unacknowledged (with --ack client or client-individual the broker delivers it again), unsubscribes, disconnects and exits 141 (closed) or 1 (other failure).",
    WIDTH,
  ),
  "",
  ...fill(
    "Exit status: 0 on success, 1 when the broker or connection fails, 2 for usage errors (including an unknown URL scheme and a --ca or --passcode-file that cannot be read), 130 when stopped by Ctrl-C (SIGINT), 141 when standard output closed, 143 when stopped by SIGTERM.",
    WIDTH,
  ),
].join("\n");
