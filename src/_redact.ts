// The one place that decides what is secret, so that every message, URL and
// trace line the library reports hides credentials the same way. Web APIs
// only: the codec, the transports, the client and the CLI all use it.

/** What a hidden value is shown as. */
export const REDACTED = "***";

// Names that carry credentials, in any case, anywhere in the name. Wide on
// purpose: hiding a harmless header in a trace costs little, showing a token
// costs a lot.
const SECRET_NAME = /auth|token|secret|pass|key|cookie|session|credential/i;

/**
 * Whether a header or query parameter name looks like it carries a secret:
 * it contains, in any case, `auth`, `token`, `secret`, `pass`, `key`,
 * `cookie`, `session` or `credential` (but is not STOMP's own `session`
 * header), or it is one of `extra` (compared without case).
 */
export function isSecretName(
  name: string,
  extra?: ReadonlySet<string>,
): boolean {
  // STOMP's own `session` header (CONNECTED) names the server's session for
  // its logs; brokers repeat it in every ack id, so hiding it hides nothing.
  return (SECRET_NAME.test(name) && name !== "session") ||
    (extra !== undefined && extra.size > 0 && extra.has(name.toLowerCase()));
}

/** The names a user added, lower-cased, for {@linkcode isSecretName}. */
export function secretNames(names: Iterable<string> | undefined): Set<string> {
  const set = new Set<string>();
  if (names === undefined) return set;
  for (const name of names) set.add(String(name).toLowerCase());
  return set;
}

// Where a URL starts, and the `user:` before a password.
const SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi;
const USER = /^[^\s:/@]*:/;
// `user:password@` where a URL's `scheme://` was left out (which parses as a
// scheme named after the user), at the start of the text or of a quoted value
// only, so that a header such as `reply:a@b` in a trace line stays as it is.
// The password runs to the last `@` before a space or a quote; a run that
// holds a `//` is a URL with its scheme (redactPasswords' part).
const BARE_USERINFO = /(^|["'])([^\s"'/:@]+):(?:(?!\/\/)[^\s"'])+@/g;
// `?name=value` and `&name=value` pairs of query strings.
const QUERY_PAIR = /([?&;])([^=&#\s?;]+)=([^&#\s;"')]*)/g;

/**
 * A URL, or any text that may hold URLs (an error message, a failover
 * string), with credentials hidden: the password of `user:password@` (also
 * where `scheme://` was left out: `user:password@host:port`) and the
 * values of query parameters whose names look secret become `***`. The user
 * name stays, as it helps to tell which account failed. Text that is not a
 * URL is handled too, so a URL too broken to parse still hides its password.
 *
 * @param text A URL or text.
 * @param extra More names to treat as secret (lower case).
 * @returns The text with its secrets replaced.
 */
export function redactUrl(
  text: string | URL,
  extra?: ReadonlySet<string>,
): string {
  let out = String(text);
  if (out.includes("@")) {
    out = redactPasswords(out).replace(
      BARE_USERINFO,
      (_, start: string, user: string) => `${start}${user}:${REDACTED}@`,
    );
  }
  if (out.includes("=")) {
    out = out.replace(
      QUERY_PAIR,
      (all, sep: string, name: string, value: string) => {
        let decoded = name;
        try {
          decoded = decodeURIComponent(name);
        } catch {
          // A name that is not valid percent-encoding is checked as written.
        }
        return value !== "" && isSecretName(decoded, extra)
          ? `${sep}${name}=${REDACTED}`
          : all;
      },
    );
  }
  return out;
}

// Each URL runs from its scheme to the next whitespace or the next URL (as in
// a failover list); its password, from `user:` to the last `@` of that run,
// so a password holding `/`, `:` or `@` is hidden whole even in text that is
// not a valid URL.
function redactPasswords(text: string): string {
  const starts: number[] = [];
  for (const match of text.matchAll(SCHEME)) starts.push(match.index);
  let out = "";
  let done = 0;
  for (let i = 0; i < starts.length; i++) {
    const authority = text.indexOf("//", starts[i]!) + 2;
    let end = starts[i + 1] ?? text.length;
    const space = text.slice(authority, end).search(/\s/);
    if (space >= 0) end = authority + space;
    const run = text.slice(authority, end);
    const user = USER.exec(run);
    const at = run.lastIndexOf("@");
    if (user === null || at < user[0].length) continue;
    const from = authority + user[0].length;
    const to = authority + at;
    if (to === from) continue;
    out += text.slice(done, from) + REDACTED;
    done = to;
  }
  return out + text.slice(done);
}

/**
 * Text with each of the given secret values replaced by `***`: the last line
 * of defence for messages that quote what a peer or a hook said. Values
 * shorter than 3 characters are left alone, as hiding them would mangle
 * ordinary words more than it protects.
 *
 * @param text Any text.
 * @param secrets The values to hide.
 * @returns The text without them.
 */
export function redactValues(
  text: string,
  secrets: Iterable<string | undefined>,
): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 3) continue;
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) {
      out = out.split(encoded).join(REDACTED);
    }
  }
  return out;
}
