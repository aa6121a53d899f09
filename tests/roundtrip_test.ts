// Property: random frames of every version encode, then decode under random
// chunking, to the same frames.

import { assertEquals } from "@std/assert";
import {
  COMMANDS,
  encodeFrame,
  HEARTBEAT,
  type StompCommand,
  StompFrame,
  type StompVersion,
  VERSIONS,
} from "../mod.ts";
import { decodeAllWays, type PlainFrame } from "./_decode.ts";
import { prng } from "./_helpers.ts";

const ALPHABET = [
  "a",
  "z",
  "0",
  " ",
  ":",
  "\\",
  "\n",
  "\r",
  "é",
  "✓",
  "😀",
  "-",
  "_",
  "\t",
  "c",
  "n",
  "r",
];

function randomText(random: () => number, max: number): string {
  let text = "";
  const length = Math.floor(random() * max);
  for (let i = 0; i < length; i++) {
    text += ALPHABET[Math.floor(random() * ALPHABET.length)];
  }
  return text;
}

/** Whether a header survives encoding under these rules (see encodeFrame). */
function encodable(
  name: string,
  value: string,
  escaped: boolean,
  version: StompVersion,
): boolean {
  if (name.length === 0) return false;
  if (!escaped) {
    return !/[\n]/.test(name + value) && !name.includes(":") &&
      !value.endsWith("\r");
  }
  return !(version === "1.1" && value.endsWith("\r"));
}

function randomFrame(random: () => number, version: StompVersion): StompFrame {
  const command =
    COMMANDS[Math.floor(random() * COMMANDS.length)] as StompCommand;
  const escaped = version !== "1.0" && command !== "CONNECT" &&
    command !== "CONNECTED";
  const headers: [string, string][] = [];
  const count = Math.floor(random() * 6);
  while (headers.length < count) {
    const name = random() < 0.2 ? "content-length-ish" : randomText(random, 8);
    const value = randomText(random, 12);
    if (name === "content-length") continue;
    if (encodable(name, value, escaped, version)) headers.push([name, value]);
    // A repeat of an earlier name, to check order and repeats survive.
    if (random() < 0.2 && headers.length > 0) {
      headers.push([headers[0]![0], randomText(random, 4)]);
    }
  }
  const filtered = headers.filter(([n, v]) =>
    encodable(n, v, escaped, version)
  );
  const body = new Uint8Array(random() < 0.3 ? 0 : Math.floor(random() * 300));
  for (let i = 0; i < body.length; i++) {
    body[i] = random() < 0.2 ? 0 : Math.floor(random() * 256);
  }
  return new StompFrame(command, filtered, body);
}

function expected(frame: StompFrame): PlainFrame {
  const headers = [...frame.headers];
  if (frame.body.length > 0) {
    headers.push(["content-length", String(frame.body.length)]);
  }
  return { command: frame.command, headers, body: frame.body };
}

for (const version of VERSIONS) {
  Deno.test(`encodeFrame then StompDecoder round-trips random ${version} frames under random chunking`, () => {
    const random = prng(version.charCodeAt(2) * 7919);
    for (let round = 0; round < 25; round++) {
      const frames = Array.from(
        { length: 1 + Math.floor(random() * 6) },
        () => randomFrame(random, version),
      );
      const parts: Uint8Array[] = [];
      let heartbeats = 0;
      for (const frame of frames) {
        while (random() < 0.3) {
          parts.push(encodeFrame(HEARTBEAT));
          heartbeats++;
        }
        parts.push(encodeFrame(frame, { version }));
      }
      const input = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const part of parts) {
        input.set(part, at);
        at += part.length;
      }
      const out = decodeAllWays(input, { version });
      assertEquals(out.thrown, undefined, `round ${round}`);
      assertEquals(out.frames, frames.map(expected), `round ${round}`);
      assertEquals(out.heartbeats, heartbeats);
      // Spanning bodies kept as chunk views decode to the same frames.
      assertEquals(
        decodeAllWays(input, { version, bodyChunks: true }),
        out,
        `round ${round}, bodyChunks`,
      );
    }
  });
}
