// What a wrong value is, for an error message: its type, never the value
// itself (which may be a passcode).

/**
 * The type of `value` with its article: "a number", "an array", "a Buffer"
 * (an object's class, when it has one), "an object", or "null" and
 * "undefined" as they are.
 */
export function typeName(value: unknown): string {
  if (value == null) return String(value);
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  const name = type === "object"
    ? (value as { constructor?: { name?: unknown } }).constructor?.name
    : undefined;
  const what = typeof name === "string" && name !== "" && name !== "Object"
    ? name
    : type;
  return `${/^[aeio]/i.test(what) ? "an" : "a"} ${what}`;
}
