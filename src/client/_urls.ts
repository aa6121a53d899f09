// The brokers of StompClient.connectUrl: one URL, a list, or an ActiveMQ-style
// `failover:(a,b)` string, checked at the call and kept without credentials.

import { redactUrl } from "../_redact.ts";
import { TRANSPORT_SCHEMES } from "../transports/_open.ts";
import { hostPortHint, refusePortZero } from "../transports/_url.ts";
import { typeName } from "../_type_name.ts";

/** A broker to connect to: its URL without credentials, and those. */
export interface BrokerUrl {
  readonly url: URL;
  readonly login: string | undefined;
  readonly passcode: string | undefined;
}

/** What `StompClient.connectUrl` takes as its brokers. */
export type BrokerUrls = string | URL | readonly (string | URL)[];

/**
 * Parses the brokers given to `connectUrl`: a URL, a list of them, or
 * `failover:(url,url)?randomize=false` (ActiveMQ's syntax, which shuffles the
 * list unless `randomize=false`). Throws a `TypeError` naming what is wrong.
 */
export function parseBrokerUrls(
  input: BrokerUrls,
  random: () => number = Math.random,
): BrokerUrl[] {
  if (typeof input === "string" && /^failover:/i.test(input)) {
    return parseFailover(input, random);
  }
  const list = Array.isArray(input) ? input : [input as string | URL];
  if (list.length === 0) {
    throw new TypeError("Cannot connect: the list of broker URLs is empty");
  }
  return list.map((item) => parseBrokerUrl(item));
}

/** Parses one broker URL, checking that a transport speaks its scheme. */
export function parseBrokerUrl(input: string | URL): BrokerUrl {
  if (typeof input !== "string" && !(input instanceof URL)) {
    throw new TypeError(
      `Cannot connect: expected a URL string or URL, got ${typeName(input)}`,
    );
  }
  const text = String(input);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The parser's own error quotes the whole URL, passcode included: it is
    // not kept as the cause.
    throw new TypeError(
      `Cannot connect: invalid URL ${JSON.stringify(redactUrl(text))}${
        hostPortHint(text)
      }`,
    );
  }
  // A scheme no transport speaks is the caller's mistake: say so now, rather
  // than as a failed (and, with reconnect, retried) connection.
  if (!TRANSPORT_SCHEMES.includes(url.protocol)) {
    throw new TypeError(
      `Cannot connect: unknown scheme "${url.protocol}" in ${
        JSON.stringify(redactUrl(text))
      } (expected one of ${TRANSPORT_SCHEMES.join(", ")})${hostPortHint(text)}`,
    );
  }
  refusePortZero(url, "connect");
  return withoutCredentials(url, text);
}

/**
 * A URL of any scheme (one `beforeConnect` names for a transport function),
 * kept without its credentials. Throws a `TypeError` for an invalid URL.
 */
export function parseAnyUrl(input: string | URL): BrokerUrl {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new TypeError(
      `Cannot connect: invalid URL ${JSON.stringify(redactUrl(input))}`,
    );
  }
  return withoutCredentials(url, String(input));
}

/**
 * The URL's credentials taken out, to go in CONNECT and nowhere else.
 * Throws a `TypeError` for a part that is not valid percent-encoding.
 */
function withoutCredentials(url: URL, text: string): BrokerUrl {
  const login = decodePart("login", url.username, text);
  const passcode = decodePart("passcode", url.password, text);
  url.username = "";
  url.password = "";
  return { url, login, passcode };
}

function decodePart(
  part: string,
  encoded: string,
  text: string,
): string | undefined {
  if (encoded === "") return undefined;
  try {
    return decodeURIComponent(encoded);
  } catch {
    // A `%` not followed by two hex digits, as in a password "50%off": the
    // URIError "URI malformed" says neither where nor what to do.
    throw new TypeError(
      `Cannot connect: the ${part} in ${
        JSON.stringify(redactUrl(text))
      } is not valid percent-encoding (write % as %25)`,
    );
  }
}

function parseFailover(text: string, random: () => number): BrokerUrl[] {
  const match = /^failover:(?:\((.*)\)|([^?()]*))(?:\?(.*))?$/is.exec(text);
  const inner = match?.[1] ?? match?.[2];
  if (match === null || inner === undefined || inner.trim() === "") {
    throw new TypeError(
      `Cannot connect: invalid failover URL ${
        JSON.stringify(redactUrl(text))
      } (expected "failover:(tcp://a:61613,tcp://b:61613)")`,
    );
  }
  let randomize = true;
  for (const [name, value] of new URLSearchParams(match[3] ?? "")) {
    if (name === "randomize" && (value === "true" || value === "false")) {
      randomize = value === "true";
      continue;
    }
    throw new TypeError(
      `Cannot connect: failover option ${
        JSON.stringify(redactUrl(`?${name}=${value}`).slice(1))
      } in ${
        JSON.stringify(redactUrl(text))
      } is not supported (only randomize=true|false; retries and delays are the client's reconnect options)`,
    );
  }
  const brokers = inner.split(",").map((part) => parseBrokerUrl(part.trim()));
  if (randomize) {
    for (let i = brokers.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [brokers[i], brokers[j]] = [brokers[j]!, brokers[i]!];
    }
  }
  return brokers;
}
