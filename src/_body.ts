// What a body or a chunk may be, said when it is something else.

/**
 * Says what a value that should have been bytes is, with what to do instead
 * where that is plain (an ArrayBuffer, another view, a string where bytes
 * are wanted, an array of numbers).
 */
export function notBytes(value: unknown): string {
  return value === null
    ? "null"
    : value === undefined
    ? "undefined"
    : value instanceof ArrayBuffer
    ? "an ArrayBuffer (wrap it: new Uint8Array(buffer))"
    : ArrayBuffer.isView(value)
    ? `a ${value.constructor.name} (pass a Uint8Array view of its bytes)`
    : Array.isArray(value)
    ? "an array (wrap it: new Uint8Array(array))"
    : typeof value === "string"
    ? "a string (encode it first: new TextEncoder().encode(text))"
    : typeof value === "object"
    ? "an object"
    : `a ${typeof value}`;
}

/**
 * Throws the `TypeError` for a body that is neither text nor bytes (easy to
 * pass from JavaScript: an object, an ArrayBuffer), saying what it was and
 * what to do instead.
 */
export function badBody(context: string, body: unknown): never {
  const kind = typeof Blob === "function" && body instanceof Blob
    ? "a Blob (read it first: new Uint8Array(await blob.arrayBuffer()))"
    : typeof body === "object" && body !== null &&
        !(body instanceof ArrayBuffer) && !ArrayBuffer.isView(body)
    ? "an object (encode it first, e.g. JSON.stringify(body))"
    : notBytes(body);
  throw new TypeError(
    `${context}: a body must be a string (sent as UTF-8) or a Uint8Array, got ${kind}`,
  );
}
