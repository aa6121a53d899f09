/**
 * Offline stand-in for the one `jsr:@std/bytes` function this project uses, for
 * machines that cannot reach jsr.io. Same signature and semantics as the real
 * `concat`; selected only by `tests/offline/import_map.json`, never published.
 *
 * @module
 */

/**
 * Concatenate an array of byte slices into a single slice.
 *
 * @param buffers Array of byte slices to concatenate.
 * @returns A new byte slice containing all the input slices.
 */
export function concat(
  buffers: readonly Uint8Array[],
): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const buffer of buffers) length += buffer.length;
  const output = new Uint8Array(length);
  let index = 0;
  for (const buffer of buffers) {
    output.set(buffer, index);
    index += buffer.length;
  }
  return output;
}
