/**
 * The error the decoder raises for input that is not valid STOMP.
 *
 * @module
 */

/**
 * Malformed STOMP input: a bad command, header line, escape sequence,
 * `content-length`, or a frame that does not end where it must.
 *
 * It is a {@linkcode SyntaxError}, and also carries the byte offset in the
 * decoded stream (counted from the first byte the decoder received) at which
 * the problem was found.
 *
 * @example Catching a syntax error
 * ```ts
 * import { StompDecoder, StompSyntaxError } from "@stomper/stomp";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const decoder = new StompDecoder();
 * const error = assertThrows(
 *   () => decoder.push(new TextEncoder().encode("HELLO\n\n\0")),
 *   StompSyntaxError,
 *   "Unknown command",
 * );
 * assertEquals(error.offset, 0);
 * ```
 */
export class StompSyntaxError extends SyntaxError {
  /** Byte offset in the decoded stream where the problem was found. */
  readonly offset: number;

  /**
   * Constructs a new instance.
   *
   * @param message What was wrong, in sentence case.
   * @param offset Byte offset in the decoded stream.
   */
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = "StompSyntaxError";
    this.offset = offset;
  }
}
