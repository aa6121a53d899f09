// Header escaping per STOMP version. CONNECT and CONNECTED frames are never
// escaped; callers pass `escaped = false` for them and for STOMP 1.0.

import { type StompVersion, VERSIONS } from "./frame.ts";

const NEEDS_ESCAPE = /[\\\n\r:\0]/;

/**
 * Whether headers of this command are escaped under this version.
 */
export function escapes(command: string, version: StompVersion): boolean {
  return version !== "1.0" && command !== "CONNECT" && command !== "CONNECTED";
}

/**
 * Returns the wire form of a header name or value, or throws a `TypeError`
 * when it cannot be written faithfully. The error names a header by its
 * name (`header`, for a value) and never shows a value: it may be a secret
 * (a passcode read from a file with its final newline).
 */
export function escapeHeader(
  text: string,
  isName: boolean,
  escaped: boolean,
  version: StompVersion,
  command: string,
  header?: string,
): string {
  if (!NEEDS_ESCAPE.test(text)) {
    if (isName && text.length === 0) {
      throw new TypeError(
        `Cannot encode ${command} frame: a header name is empty`,
      );
    }
    return text;
  }
  const what = isName
    ? `header name ${JSON.stringify(text)}`
    : header === undefined
    ? "a header value"
    : `the value of header ${JSON.stringify(header)}`;
  if (text.includes("\0")) {
    throw new TypeError(
      `Cannot encode ${command} frame: ${what} contains NUL`,
    );
  }
  if (!escaped) {
    // CONNECT and CONNECTED are never escaped, whatever the version.
    const context = command === "CONNECT" || command === "CONNECTED"
      ? `a ${command} frame cannot carry (its headers are never escaped, in any STOMP version)`
      : "STOMP 1.0 cannot escape";
    if (text.includes("\n")) {
      throw new TypeError(
        `Cannot encode ${command} frame: ${what} contains LF, which ${context}`,
      );
    }
    if (isName && text.includes(":")) {
      throw new TypeError(
        `Cannot encode ${command} frame: ${what} contains ':', which ${context}`,
      );
    }
    if (!isName && text.endsWith("\r")) {
      throw new TypeError(
        `Cannot encode ${command} frame: ${what} ends with CR, which ${context}`,
      );
    }
    return text;
  }
  if (version === "1.1" && !isName && text.endsWith("\r")) {
    throw new TypeError(
      `Cannot encode ${command} frame: ${what} ends with CR, which STOMP 1.1 cannot escape`,
    );
  }
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    switch (c) {
      case "\\":
        out += "\\\\";
        break;
      case "\n":
        out += "\\n";
        break;
      case ":":
        out += "\\c";
        break;
      case "\r":
        out += version === "1.2" ? "\\r" : "\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/**
 * Decodes escape sequences in one pass. Returns the index of the offending
 * backslash as a negative number minus one when a sequence is undefined
 * (`\t`, a trailing `\`). `\r` is read as CR under 1.1 too, though only
 * 1.2 defines it: RabbitMQ writes a CR that a 1.2 client sent as `\r` to
 * 1.1 consumers as well, and refusing it would end their connection at every
 * redelivery of that message.
 */
export function unescapeHeader(text: string): string | number {
  const start = text.indexOf("\\");
  if (start === -1) return text;
  let out = text.slice(0, start);
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === "n") out += "\n";
    else if (next === "c") out += ":";
    else if (next === "\\") out += "\\";
    else if (next === "r") out += "\r";
    else return -1 - i;
    i++;
  }
  return out;
}

/** Returns the version, or throws a `TypeError` prefixed by `context`. */
export function checkVersion(
  version: StompVersion,
  context: string,
): StompVersion {
  if (!(VERSIONS as readonly string[]).includes(version)) {
    throw new TypeError(
      `${context}: unknown STOMP version ${JSON.stringify(version)}`,
    );
  }
  return version;
}
