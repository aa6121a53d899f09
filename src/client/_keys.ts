// Options objects from JavaScript, where no compiler catches a misspelt name
// (`reconect: true`, `reconnect: { maxAttempts: 2 }`): a name the client does
// not know is refused, with the closest one it does.

/**
 * Throws a `TypeError` for the first own key of `value` (whose value is not
 * `undefined`) that is not in `known`, naming the closest known one.
 *
 * @param what The start of the message, such as "Cannot create client: unknown option".
 * @param aliases Names other libraries use, lower-cased, and ours for them.
 */
export function refuseUnknownKeys(
  what: string,
  value: object,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): void {
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || known.includes(key)) continue;
    const closest = Object.hasOwn(aliases, key.toLowerCase())
      ? aliases[key.toLowerCase()]
      : closestName(key, known);
    throw new TypeError(
      `${what} ${JSON.stringify(key)}${
        closest === undefined
          ? ""
          : ` (did you mean ${JSON.stringify(closest)}?)`
      }`,
    );
  }
}

/**
 * The known name `name` is most likely a slip for: the same but for case, a
 * few letters off, or the one name that contains it.
 */
export function closestName(
  name: string,
  known: readonly string[],
): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  if (best !== undefined) return best;
  const containing = known.filter((candidate) =>
    candidate.toLowerCase().includes(lower)
  );
  return lower.length >= 4 && containing.length === 1
    ? containing[0]
    : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        row[j]! + 1,
        next[j - 1]! + 1,
        row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length]!;
}
