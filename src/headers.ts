/**
 * Ordered STOMP headers with repeats.
 *
 * @module
 */

import { typeName } from "./_type_name.ts";

/**
 * Anything that can initialise {@linkcode StompHeaders}: another instance, an
 * iterable of `[name, value]` pairs (order and repeats kept), or a record
 * (insertion order; an entry whose value is `undefined` is left out, so
 * `{ "content-type": type }` and `cond ? { a: "1" } : { b: "2" }` both work).
 */
export type StompHeadersInit =
  | StompHeaders
  | Iterable<readonly [string, string]>
  | Readonly<Record<string, string | undefined>>;

/**
 * What is wrong with an entry, by the types of what it holds and the header
 * name, never a value: a value may be a secret (a passcode given as a number).
 */
function wrongEntry(entry: unknown): string {
  if (!Array.isArray(entry)) return typeName(entry);
  if (entry.length !== 2) {
    return `an array of ${entry.length} element${
      entry.length === 1 ? "" : "s"
    }`;
  }
  const [name, value] = entry;
  return typeof name === "string"
    ? `${typeName(value)} as the value of ${JSON.stringify(name)}`
    : `${typeName(name)} as a header name`;
}

/**
 * The headers of a STOMP frame, in wire order, with repeats.
 *
 * Names are case-sensitive. {@linkcode StompHeaders.get} returns the first
 * occurrence, as the STOMP specification requires when a header repeats;
 * {@linkcode StompHeaders.getAll} returns every one. Names such as
 * `__proto__` or `constructor` are ordinary names: the headers are stored in
 * an array, never as object properties.
 *
 * @example Reading repeated headers
 * ```ts
 * import { StompHeaders } from "@stomper/stomp";
 * import { assertEquals } from "@std/assert";
 *
 * const headers = new StompHeaders([["foo", "first"], ["foo", "second"]]);
 * assertEquals(headers.get("foo"), "first");
 * assertEquals(headers.getAll("foo"), ["first", "second"]);
 * assertEquals(headers.get("__proto__"), undefined);
 * ```
 */
export class StompHeaders implements Iterable<[string, string]> {
  // Flat [name0, value0, name1, value1, ...]: one array per frame on the hot path.
  #list: string[];
  // Headers from the decoder start as the text of their lines and, per line,
  // [name start, colon, value end]; #lines() slices them into #list when
  // first needed, and get() finds a value without slicing the others.
  #text: string | undefined;
  #marks: number[] | undefined;

  /**
   * Constructs a new instance.
   *
   * @param init Initial headers.
   */
  constructor(init?: StompHeadersInit) {
    if (init === undefined) {
      this.#list = [];
    } else if (init instanceof StompHeaders) {
      this.#list = init.#lines().slice();
    } else {
      if (init === null || typeof init !== "object") {
        throw new TypeError(
          `Cannot create headers: expected an object of strings, [name, value] pairs or StompHeaders, got ${
            typeName(init)
          }`,
        );
      }
      const list: string[] = [];
      const record = !(Symbol.iterator in init);
      const pairs = record
        ? Object.entries(init as Readonly<Record<string, string | undefined>>)
        : init as Iterable<readonly [string, string]>;
      let index = -1;
      for (const pair of pairs) {
        index++;
        // Checked whole: destructuring would cut ["a", "b", "c"] to a pair.
        const [name, value] = Array.isArray(pair) && pair.length === 2
          ? pair
          : [];
        if (record && value === undefined) continue;
        if (typeof name !== "string" || typeof value !== "string") {
          throw new TypeError(
            `Cannot create headers: expected [name, value] string pairs, got ${
              wrongEntry(pair)
            } at index ${index}`,
          );
        }
        list.push(name, value);
      }
      this.#list = list;
    }
  }

  /**
   * Wraps a flat `[name, value, ...]` list without copying it. For the
   * decoder; the caller gives up the array.
   *
   * @param list Flat list of names and values.
   * @returns Headers backed by the list.
   * @internal
   */
  static fromFlat(list: string[]): StompHeaders {
    const headers = new StompHeaders();
    headers.#list = list;
    return headers;
  }

  /**
   * Wraps the text of header lines and, per line, the offsets of the name's
   * start, the colon and the value's end, without slicing anything yet. For
   * the decoder; the caller gives up the array.
   *
   * @param text The header lines.
   * @param marks Three offsets into `text` per header line.
   * @returns Headers backed by the text.
   * @internal
   */
  static fromText(text: string, marks: number[]): StompHeaders {
    const headers = new StompHeaders();
    headers.#text = text;
    headers.#marks = marks;
    return headers;
  }

  /**
   * The flat `[name, value, ...]` list itself, for the encoder to read
   * without a callback per header. The caller must not change it.
   *
   * @param headers The headers.
   * @returns Their flat list.
   * @internal
   */
  static flat(headers: StompHeaders): readonly string[] {
    return headers.#lines();
  }

  /** The flat list, sliced from the text first if need be. */
  #lines(): string[] {
    const text = this.#text;
    if (text !== undefined) {
      const marks = this.#marks!;
      const list: string[] = [];
      for (let i = 0; i < marks.length; i += 3) {
        list.push(
          text.slice(marks[i]!, marks[i + 1]!),
          text.slice(marks[i + 1]! + 1, marks[i + 2]!),
        );
      }
      this.#list = list;
      this.#text = undefined;
      this.#marks = undefined;
    }
    return this.#list;
  }

  /** The number of header lines, repeats included. */
  get size(): number {
    const marks = this.#marks;
    return marks !== undefined ? marks.length / 3 : this.#list.length >> 1;
  }

  /**
   * The value of the first header with this name.
   *
   * @param name Header name (case-sensitive).
   * @returns The value, or `undefined` when absent.
   */
  get(name: string): string | undefined {
    const text = this.#text;
    if (text !== undefined) {
      const marks = this.#marks!;
      const length = name.length;
      for (let i = 0; i < marks.length; i += 3) {
        const start = marks[i]!;
        const colon = marks[i + 1]!;
        if (colon - start === length && text.startsWith(name, start)) {
          return text.slice(colon + 1, marks[i + 2]!);
        }
      }
      return undefined;
    }
    const list = this.#list;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === name) return list[i + 1];
    }
    return undefined;
  }

  /**
   * The values of every header with this name, in wire order.
   *
   * @param name Header name (case-sensitive).
   * @returns The values; empty when absent.
   */
  getAll(name: string): string[] {
    const list = this.#lines();
    const values: string[] = [];
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === name) values.push(list[i + 1]!);
    }
    return values;
  }

  /**
   * Whether a header with this name is present.
   *
   * @param name Header name (case-sensitive).
   * @returns `true` when present.
   */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /**
   * Adds a header line at the end, keeping any with the same name.
   *
   * @param name Header name.
   * @param value Header value.
   */
  append(name: string, value: string): void {
    checkHeader("append", name, value);
    this.#lines().push(name, value);
  }

  /**
   * Replaces every header with this name by one line with this value, at the
   * position of the first; appends when absent.
   *
   * @param name Header name.
   * @param value Header value.
   */
  set(name: string, value: string): void {
    checkHeader("set", name, value);
    const list = this.#lines();
    let found = false;
    for (let i = 0; i < list.length;) {
      if (list[i] === name) {
        if (found) {
          list.splice(i, 2);
          continue;
        }
        list[i + 1] = value;
        found = true;
      }
      i += 2;
    }
    if (!found) list.push(name, value);
  }

  /**
   * Removes every header with this name.
   *
   * @param name Header name.
   */
  delete(name: string): void {
    const list = this.#lines();
    for (let i = 0; i < list.length;) {
      if (list[i] === name) list.splice(i, 2);
      else i += 2;
    }
  }

  /**
   * Calls a function for each header line, in wire order.
   *
   * @param callback Receives the value and the name, as `Headers.forEach` does.
   */
  forEach(callback: (value: string, name: string) => void): void {
    const list = this.#lines();
    for (let i = 0; i < list.length; i += 2) callback(list[i + 1]!, list[i]!);
  }

  /**
   * The header lines as `[name, value]` pairs, in wire order.
   *
   * @returns An iterator of pairs.
   */
  *entries(): IterableIterator<[string, string]> {
    const list = this.#lines();
    for (let i = 0; i < list.length; i += 2) yield [list[i]!, list[i + 1]!];
  }

  /**
   * The header lines as `[name, value]` pairs, in wire order.
   *
   * @returns An iterator of pairs.
   */
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /**
   * A record of the first value of each name, with no prototype, so any name
   * is safe as a key.
   *
   * @returns A null-prototype record.
   */
  toObject(): Record<string, string> {
    const record: Record<string, string> = Object.create(null);
    const list = this.#lines();
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i]!;
      if (!Object.hasOwn(record, name)) record[name] = list[i + 1]!;
    }
    return record;
  }
}

// From JavaScript a number (`priority`, `expires`) or undefined can arrive
// where a string is expected; kept, it would be encoded as a wrong line.
function checkHeader(verb: string, name: unknown, value: unknown): void {
  const part = typeof name !== "string" ? "name" : "value";
  if (part === "name" || typeof value !== "string") {
    throw new TypeError(
      `Cannot ${verb} header${
        part === "name" ? "" : ` ${JSON.stringify(name)}`
      }: the ${part} must be a string, got ${
        typeName(part === "name" ? name : value)
      }`,
    );
  }
}
