// The form of an acknowledgement, by version: the one place that decides
// which headers an ACK or NACK carries (STOMP 1.2: the MESSAGE's `ack`
// header as `id`; 1.1: `message-id` and `subscription`; 1.0: `message-id`).
// The session builds its frames from it, the client's fast path its header
// list.

import type { AckTarget } from "../builders.ts";
import type { StompVersion } from "../frame.ts";
import type { StompHeaders } from "../headers.ts";
import { StompConnectionError } from "./errors.ts";

/**
 * What an ACK or NACK of a MESSAGE with `headers` names under `version`, or
 * `undefined` when the MESSAGE lacks the header that version needs.
 */
export function ackTarget(
  version: StompVersion,
  headers: StompHeaders,
): AckTarget | undefined {
  if (version === "1.2") return headers.get("ack");
  const messageId = headers.get("message-id");
  if (messageId === undefined) return undefined;
  const subscription = headers.get("subscription");
  return version === "1.1" && subscription !== undefined
    ? { messageId, subscription }
    : { messageId };
}

/**
 * The header list of an ACK or NACK without options (the fast path), or
 * `undefined` for one the builder must see (a missing or empty value, NACK
 * under STOMP 1.0).
 */
export function ackList(
  command: "ACK" | "NACK",
  version: StompVersion,
  headers: StompHeaders,
): string[] | undefined {
  if (command === "NACK" && version === "1.0") return undefined;
  const target = ackTarget(version, headers);
  if (target === undefined) return undefined;
  if (typeof target === "string") {
    return target === "" ? undefined : ["id", target];
  }
  if (!("messageId" in target) || target.messageId === "") return undefined;
  if (target.subscription === undefined) {
    return ["message-id", target.messageId];
  }
  if (target.subscription === "") return undefined;
  return ["message-id", target.messageId, "subscription", target.subscription];
}

/**
 * Why an ACK or NACK of a MESSAGE with `headers` cannot be written under
 * `version` through the server's fault: the header that version needs is
 * missing or empty (a protocol violation). `undefined` otherwise (a NACK
 * under STOMP 1.0 is the caller's mistake, told by the session).
 */
export function ackFault(
  command: "ACK" | "NACK",
  version: StompVersion,
  headers: StompHeaders,
): StompConnectionError | undefined {
  if (command === "NACK" && version === "1.0") return undefined;
  const names = version === "1.2"
    ? ["ack"]
    : version === "1.1" && headers.get("subscription") !== undefined
    ? ["message-id", "subscription"]
    : ["message-id"];
  const name = names.find((n) => !headers.get(n));
  if (name === undefined) return undefined;
  return new StompConnectionError(
    `Cannot ${command === "ACK" ? "acknowledge" : "reject"} message ${
      JSON.stringify(headers.get("message-id"))
    }: the server sent it with ${
      headers.get(name) === undefined ? "no" : "an empty"
    } ${
      JSON.stringify(name)
    } header, which STOMP ${version} needs (a protocol violation)`,
  );
}
