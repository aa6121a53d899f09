// What the stomper tool writes to its error stream never holds a secret:
// URL passwords and every passcode it knows are shown as ***. And a TLS
// failure is told in the tool's words (--ca, STOMP_CA).

import { REDACTED, redactUrl, redactValues } from "../_redact.ts";
import type { CliIO } from "./_io.ts";
import { readEnv } from "./_io.ts";

// A TLS certificate that did not verify, in the words of Deno (rustls) or of
// the Node transport.
const TLS_FAILURE = /certificate|UnknownIssuer|caCerts|CERT_|self[- ]signed/i;
// The transport's advice, which names its option rather than the tool's.
const CA_CERTS_ADVICE = /;?\s*pass the certificate authority[^;)]*caCerts/i;

/** A URL's user name or password as written, percent-decoded. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The password of a URL, when it parses and has one. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === "" ? undefined : decodePart(password);
  } catch {
    return undefined;
  }
}

/**
 * The failure in words, with its cause, and the tool's advice for TLS:
 * whether a CA was given (by --ca or STOMP_CA) decides which.
 */
export function failure(error: unknown, caGiven: boolean): string {
  const reason = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error &&
      !reason.includes(error.cause.message)
    ? ` (${error.cause.message})`
    : "";
  const line = `${reason}${cause}`;
  if (!TLS_FAILURE.test(line)) return line;
  // The transport names its own option; the user of the tool needs ours.
  const advice = !caGiven
    ? "trust the certificate authority that signed the broker's certificate with --ca FILE or the STOMP_CA environment variable"
    : "check that the --ca file (or STOMP_CA) is the certificate authority that signed the broker's certificate";
  return `${line.replace(CA_CERTS_ADVICE, "")}; ${advice}`;
}

/**
 * A line with every known secret hidden: where it appears whole, escaped as
 * in a JSON string (the trace's bodies), or cut short at the end of a trace
 * line's body preview (`"...`).
 */
export function hideSecrets(line: string, secrets: readonly string[]): string {
  let out = redactValues(redactUrl(line), secrets);
  for (const secret of secrets) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = redactValues(out, [escaped]);
    if (!out.includes('"...')) continue;
    for (let end = escaped.length - 1; end >= 3; end--) {
      const cut = `${escaped.slice(0, end)}"...`;
      if (out.includes(cut)) out = out.split(cut).join(`${REDACTED}"...`);
    }
  }
  return out;
}

/** Passwords of the URLs among the arguments, and STOMP_PASSCODE. */
export function knownSecrets(args: readonly string[], io: CliIO): string[] {
  const secrets: string[] = [];
  for (const arg of args) {
    const password = arg.includes("@") ? urlPassword(arg) : undefined;
    if (password !== undefined) secrets.push(password);
  }
  const passcode = (io.env ?? readEnv)("STOMP_PASSCODE");
  if (passcode) secrets.push(passcode);
  return secrets;
}
