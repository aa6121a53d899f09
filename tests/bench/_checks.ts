// The checks that make the timings mean something: every decoder's output
// equals the frames the generator wrote, every timed run did all the work, and
// both encoders write the same bytes.

import { StompDecoder } from "../../src/decoder.ts";
import {
  type Decoded,
  ourEncoder,
  stompjsEncoder,
  type Tally,
} from "./_contenders.ts";
import type { DecodeWorkload, EncodeWorkload } from "./_workloads.ts";

/** A contender's output differs from what it should be. */
export class CheckError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param what The contender and workload.
   * @param detail What differed.
   */
  constructor(what: string, detail: string) {
    super(`Output check failed for ${what}: ${detail}`);
    this.name = "CheckError";
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks frame count, commands, headers, body bytes and heart-beats. */
export function checkDecoded(
  what: string,
  workload: DecodeWorkload,
  decoded: Decoded,
): void {
  const expected = workload.expected;
  if (expected === undefined) throw new Error("Expected frames were dropped");
  if (decoded.frames.length !== expected.length) {
    throw new CheckError(
      what,
      `${decoded.frames.length} frames, expected ${expected.length}`,
    );
  }
  for (let i = 0; i < expected.length; i++) {
    const got = decoded.frames[i]!;
    const want = expected[i]!;
    if (got.command !== want.command) {
      throw new CheckError(what, `frame ${i} command ${got.command}`);
    }
    if (JSON.stringify(got.headers) !== JSON.stringify(want.headers)) {
      throw new CheckError(
        what,
        `frame ${i} headers ${JSON.stringify(got.headers)}, expected ${
          JSON.stringify(want.headers)
        }`,
      );
    }
    if (!sameBytes(got.body, want.body)) {
      throw new CheckError(
        what,
        `frame ${i} body of ${got.body.length} bytes differs`,
      );
    }
  }
  if (
    decoded.heartbeats !== null && decoded.heartbeats !== workload.heartbeats
  ) {
    throw new CheckError(
      what,
      `${decoded.heartbeats} heart-beats, expected ${workload.heartbeats}`,
    );
  }
}

/** Checks that a timed run saw every frame, body byte and heart-beat. */
export function checkTally(
  what: string,
  workload: DecodeWorkload,
  tally: Tally,
  reportsHeartbeats: boolean,
): void {
  const problems: string[] = [];
  if (tally.frames !== workload.frameCount) {
    problems.push(`${tally.frames} frames`);
  }
  if (tally.bodyBytes !== workload.bodyBytes) {
    problems.push(`${tally.bodyBytes} body bytes`);
  }
  if (tally.destinations !== workload.frameCount) {
    problems.push(`${tally.destinations} destinations`);
  }
  if (reportsHeartbeats && tally.heartbeats !== workload.heartbeats) {
    problems.push(`${tally.heartbeats} heart-beats`);
  }
  if (problems.length > 0) {
    throw new CheckError(`timed run of ${what}`, problems.join(", "));
  }
}

/**
 * Checks that both encoders write the same bytes for every frame, and that
 * ours decode back to the frames they came from.
 */
export function checkEncoded(workload: EncodeWorkload): void {
  const ours = ourEncoder.prepare(workload)();
  const theirs = stompjsEncoder.prepare(workload)();
  const text = (bytes: Uint8Array) =>
    JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 200)));
  for (let i = 0; i < ours.length; i++) {
    if (!sameBytes(ours[i]!, theirs[i]!)) {
      throw new CheckError(
        `encoders on ${workload.id}`,
        `frame ${i} differs: ${text(ours[i]!)} versus ${text(theirs[i]!)}`,
      );
    }
  }
  const decoder = new StompDecoder();
  for (let i = 0; i < ours.length; i++) {
    const [frame] = decoder.push(ours[i]!);
    const source = workload.frames[i]!;
    const want = [
      ...source.headers,
      ["content-length", String(source.body.length)],
    ];
    if (
      frame === undefined ||
      JSON.stringify([...frame.headers]) !== JSON.stringify(want) ||
      !sameBytes(frame.body, source.body)
    ) {
      throw new CheckError(`round trip of ${workload.id}`, `frame ${i}`);
    }
  }
}
