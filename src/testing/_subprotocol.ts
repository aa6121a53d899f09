// The WebSocket subprotocol the test broker answers with. RFC 6455 (section
// 11.3.4) makes Sec-WebSocket-Protocol a comma-separated list of tokens with
// optional whitespace around each comma: browsers write "v10.stomp,
// v11.stomp", Node's `ws` writes "v10.stomp,v11.stomp". The broker picks the
// highest STOMP version offered that it speaks, whatever the client's order.

import type { StompVersion } from "../frame.ts";

/** The STOMP subprotocols, highest version first. */
const STOMP_SUBPROTOCOLS: readonly (readonly [string, StompVersion])[] = [
  ["v12.stomp", "1.2"],
  ["v11.stomp", "1.1"],
  ["v10.stomp", "1.0"],
];

/**
 * The tokens of a Sec-WebSocket-Protocol header (the header repeated is one
 * list joined with ", ", as `Headers.get` gives it).
 *
 * @param header The header's value, or `null` when absent.
 * @returns The tokens in the client's order, empty elements left out.
 */
export function offeredSubprotocols(header: string | null): string[] {
  if (header === null) return [];
  const tokens: string[] = [];
  for (const element of header.split(",")) {
    // OWS is spaces and horizontal tabs (RFC 7230, section 3.2.3).
    const token = element.replace(/^[ \t]+|[ \t]+$/g, "");
    if (token !== "") tokens.push(token);
  }
  return tokens;
}

/**
 * The subprotocol to answer with: the highest STOMP version both offered and
 * spoken, or `undefined` when the client offered none of them (the answer
 * then has no Sec-WebSocket-Protocol, as RFC 6455 says).
 *
 * @param header The request's Sec-WebSocket-Protocol, or `null`.
 * @param versions The versions the broker speaks.
 * @returns A token of the header, such as `v12.stomp`, or `undefined`.
 */
export function chooseSubprotocol(
  header: string | null,
  versions: readonly StompVersion[],
): string | undefined {
  const offered = new Set(offeredSubprotocols(header));
  for (const [token, version] of STOMP_SUBPROTOCOLS) {
    if (offered.has(token) && versions.includes(version)) return token;
  }
  return undefined;
}
