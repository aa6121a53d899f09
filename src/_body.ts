// What a body may be, said when it is something else.
/**
 * Throws the `TypeError` for a body that is neither text nor bytes (easy to
 * pass from JavaScript: an object, an ArrayBuffer), saying what it was and
 * what to do instead.
 */
export function badBody(context: string, body: unknown): never {
  const kind = body === null
    ? "null"
    : body instanceof ArrayBuffer
    ? "an ArrayBuffer (wrap it: new Uint8Array(buffer))"
    : ArrayBuffer.isView(body)
    ? `a ${body.constructor.name} (pass a Uint8Array view of its bytes)`
    : typeof body === "object"
    ? "an object (encode it first, e.g. JSON.stringify(body))"
    : `a ${typeof body}`;
  throw new TypeError(
    `${context}: a body must be a string (sent as UTF-8) or a Uint8Array, got ${kind}`,
  );
}
