// Options objects from JavaScript callers, where no compiler catches a slip:
// a misspelt name (`maxBodyByte: 10`) would leave a limit at its default, so
// a name not known is refused, with the known one it most likely meant.

/**
 * Throws a `TypeError` for the first own key of `value` (whose value is not
 * `undefined`) that is not in `known`, naming the closest known one.
 *
 * @param what The start of the message, such as "Cannot create decoder: unknown option".
 * @param aliases Names other libraries use, lower-cased, and ours for them.
 */
export function refuseUnknownKeys(
  what: string,
  value: object,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): void {
  for (const key of Object.keys(value)) {
    if (
      known.includes(key) ||
      (value as Record<string, unknown>)[key] === undefined
    ) continue;
    throw unknownKey(what, key, known, aliases);
  }
}

/**
 * The `TypeError` for `key`, a name not in `known`: `what` and the name,
 * then the known name it is most likely a slip for, or else `otherwise`.
 */
export function unknownKey(
  what: string,
  key: string,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
  otherwise = "",
): TypeError {
  const closest = Object.hasOwn(aliases, key.toLowerCase())
    ? aliases[key.toLowerCase()]
    : closestName(key, known);
  return new TypeError(
    `${what} ${JSON.stringify(key)}${
      closest ? ` (did you mean ${JSON.stringify(closest)}?)` : otherwise
    }`,
  );
}

/**
 * The known name `name` is most likely a slip for: the same but for case, a
 * few letters off (case ignored, at most a third of its length), or the one
 * name that contains it (for 4 letters or more).
 */
export function closestName(
  name: string,
  known: readonly string[],
): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let most = Math.max(1, Math.floor(name.length / 3));
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= most) [best, most] = [candidate, distance - 1];
  }
  const containing = known.filter((candidate) =>
    candidate.toLowerCase().includes(lower)
  );
  return best ??
    (lower.length > 3 && containing.length === 1 ? containing[0] : undefined);
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let row = [...Array(b.length + 1).keys()];
  for (let i = 0; i < a.length; i++) {
    const next = [i + 1];
    for (let j = 0; j < b.length; j++) {
      next.push(
        Math.min(row[j + 1]! + 1, next[j]! + 1, row[j]! + +(a[i] !== b[j])),
      );
    }
    row = next;
  }
  return row[b.length]!;
}

/**
 * `value` as an options object: `undefined` and `null` (which JavaScript
 * callers pass for none) are no options; anything else that is not an object
 * is a `TypeError`, and so, with `known`, is a name not in it.
 *
 * @param what The start of the message, such as "Cannot create decoder".
 */
export function checkOptions<T extends object>(
  what: string,
  value: T | null | undefined,
  known?: readonly string[],
): T {
  if (value == null) return {} as T;
  if (typeof value !== "object") {
    throw new TypeError(
      `${what}: options must be an object, got ${
        JSON.stringify(value) ?? `a ${typeof value}`
      }`,
    );
  }
  if (known) refuseUnknownKeys(`${what}: unknown option`, value, known);
  return value;
}
