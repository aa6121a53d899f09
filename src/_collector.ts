// Gathering a frame body that spans chunks, in memory in proportion to the
// bytes received, however small the chunks.
//
// Keeping a view of every chunk costs a view object (and, for a chunk that
// owns its buffer, that buffer's bookkeeping) per chunk: about 200 bytes of
// heap per byte when a body trickles in one byte at a time. So a piece is
// kept by reference only when it is large enough (1 KiB) for that overhead
// not to count and the buffers kept alive stay within about twice the body;
// other pieces are copied into blocks that grow geometrically (each about
// as large as the body so far), so that what is held stays within about
// twice the bytes received. A declared length is allocated in full only
// when it is modest or half of it has come; until then it grows with what
// arrives.

/**
 * A declared body up to this size gets, once it spans chunks, one array of
 * its length (one copy and no join); a larger one grows with what arrives.
 */
const UPFRONT_BYTES = 64 * 1024;
/** The smallest block a piece is copied into. */
const MIN_BLOCK = 4 * 1024;
/** The smallest piece kept by reference. */
const REF_MIN = 1024;

/**
 * Copies `chunk[from, to)` into `out` at `at`: by a loop for a few bytes,
 * for which a `set` call costs more than the copy (input split into tiny
 * chunks gathers dozens of pieces per frame).
 */
export function copyInto(
  out: Uint8Array,
  at: number,
  chunk: Uint8Array,
  from: number,
  to: number,
): void {
  if (to - from < 32) {
    for (let i = from; i < to; i++) out[at++] = chunk[i]!;
  } else {
    out.set(chunk.subarray(from, to), at);
  }
}

/** Joins pieces, then `chunk[from, to)`, into one new array. */
function join(
  pieces: readonly Uint8Array[],
  length: number,
  chunk: Uint8Array,
  from: number,
  to: number,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    copyInto(out, at, piece, 0, piece.length);
    at += piece.length;
  }
  copyInto(out, at, chunk, from, to);
  return out;
}

/**
 * The body of one frame in progress: pieces added as they arrive, then
 * taken as one array (`take`) or as a list of views (`takePieces`, for the
 * decoder's `bodyChunks` option). Reused from frame to frame.
 */
export class BodyCollector {
  /** Hand out pieces (the `bodyChunks` option): blocks are never reused. */
  readonly #pieces: boolean;
  /** Body bytes added. */
  #length = 0;
  /** The most bytes the body can have: its declared length, or the limit. */
  #cap = 0;
  /** Whether `#cap` is a declared length (the body will have just that). */
  #declared = false;
  /** Whether `#block` is the whole body's array (a declared length). */
  #whole = false;
  /**
   * The first piece, kept by reference until a second one comes: a body
   * that arrives in one piece (its NUL in the next chunk) stays a view.
   */
  #first: Uint8Array | undefined;
  /** Finished pieces: views of chunks, and filled parts of blocks. */
  #done: Uint8Array[] = [];
  /** The block pieces are copied into, from `#start` to `#used`. */
  #block: Uint8Array | undefined;
  #start = 0;
  #used = 0;
  /** Bytes of the arrays allocated and of the buffers referenced. */
  #held = 0;
  /** Bytes of the arrays allocated. */
  #allocated = 0;
  /**
   * A block reused as the first of each body that is copied out when it
   * is taken (not with `bodyChunks`, whose blocks go out with the frame).
   */
  #spare: Uint8Array | undefined;

  /**
   * Constructs a new instance.
   *
   * @param pieces Whether bodies are taken as pieces (`takePieces`).
   */
  constructor(pieces: boolean) {
    this.#pieces = pieces;
  }

  /** Body bytes added so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * Bytes held for the body beyond the chunks it was given: the arrays
   * allocated for it. At most about twice the bytes added, plus a block.
   */
  get allocated(): number {
    return this.#allocated;
  }

  /**
   * Starts a body of at most `cap` bytes: its declared length, or the
   * limit.
   */
  start(cap: number, declared: boolean): void {
    this.clear();
    this.#cap = cap;
    this.#declared = declared;
  }

  /** Drops what was collected. */
  clear(): void {
    this.#length = 0;
    this.#first = undefined;
    if (this.#done.length > 0) this.#done = [];
    this.#block = undefined;
    this.#start = this.#used = 0;
    this.#held = this.#allocated = 0;
    this.#whole = false;
  }

  /** Adds `chunk[from, to)` to the body. */
  add(chunk: Uint8Array, from: number, to: number): void {
    if (from === to) return;
    if (this.#length === 0) {
      this.#first = chunk.subarray(from, to);
      this.#length = to - from;
      return;
    }
    const first = this.#first;
    if (first !== undefined) {
      this.#first = undefined;
      if (this.#pieces) {
        // Handed out as pieces, a body keeps the views at either end
        // whatever their size: two per frame, never one per byte.
        this.#done.push(first);
        this.#held += first.buffer.byteLength;
      } else {
        this.#length = 0;
        this.#place(first, 0, first.length);
      }
    }
    this.#place(chunk, from, to);
  }

  /**
   * Takes the body, completed by `chunk[from, to)`, as one array: the view
   * of a body that came in one piece, the block of a declared body that
   * filled it, else a new array.
   */
  take(chunk: Uint8Array, from: number, to: number): Uint8Array {
    let body: Uint8Array;
    const first = this.#first;
    if (first !== undefined && from === to) {
      body = first;
    } else if (this.#length === 0) {
      body = chunk.subarray(from, to);
    } else {
      const block = this.#block;
      const size = to - from;
      if (first !== undefined) {
        body = join([first], this.#length + size, chunk, from, to);
      } else if (this.#whole) {
        copyInto(block!, this.#used, chunk, from, to);
        body = block!;
      } else {
        this.#close();
        body = join(this.#done, this.#length + size, chunk, from, to);
      }
    }
    this.clear();
    return body;
  }

  /**
   * Takes the body, completed by `chunk[from, to)`, as the list of its
   * pieces: views of the chunks it came in (always of the first and the
   * last), and of the blocks small pieces in between were copied into.
   */
  takePieces(chunk: Uint8Array, from: number, to: number): Uint8Array[] {
    let pieces: Uint8Array[];
    const first = this.#first;
    if (this.#length === 0) {
      pieces = [chunk.subarray(from, to)];
    } else if (first !== undefined) {
      pieces = from === to ? [first] : [first, chunk.subarray(from, to)];
    } else {
      // The last piece by reference, as the first (see add).
      this.#close();
      if (from < to) this.#done.push(chunk.subarray(from, to));
      pieces = this.#done;
      this.#done = [];
    }
    this.clear();
    return pieces;
  }

  /** Ends the open part of the block as a finished piece. */
  #close(): void {
    if (this.#used > this.#start) {
      this.#done.push(this.#block!.subarray(this.#start, this.#used));
      this.#start = this.#used;
    }
  }

  #place(chunk: Uint8Array, from: number, to: number): void {
    let size = to - from;
    if (this.#whole) {
      copyInto(this.#block!, this.#used, chunk, from, to);
      this.#used += size;
      this.#length += size;
      return;
    }
    const before = this.#length;
    if (
      this.#declared && !this.#pieces &&
      this.#cap - before <= Math.max(UPFRONT_BYTES, before)
    ) {
      // A declared body copied out in the end, modest or at least half
      // arrived: its array now (at most twice what came), the rest copied
      // straight into it, and no join at the end.
      this.#toWhole();
      this.#place(chunk, from, to);
      return;
    }
    if (size >= REF_MIN) {
      // By reference, if what that keeps alive stays within about twice
      // the body (a chunk may be a view of a much larger buffer), allowing
      // for the chunks at either end, which hold other frames too.
      // A whole chunk of 64 KiB or more that starts its buffer is taken as
      // the whole buffer without asking: reading `.buffer` costs about 14
      // ns, a tenth of the decoding time of a 1 MiB body read in 64 KiB
      // chunks with `bodyChunks` (W3). Readers cut small reads and offset
      // views out of larger buffers, and those are measured; a source that
      // hands out 64 KiB views at the start of much larger buffers could
      // make a body hold more than twice its size.
      const buffer = size >= UPFRONT_BYTES && from === 0 &&
          to === chunk.length && chunk.byteOffset === 0
        ? size
        : chunk.buffer.byteLength;
      if (
        this.#held + buffer <= 2 * (this.#length + size + UPFRONT_BYTES)
      ) {
        this.#close();
        this.#done.push(chunk.subarray(from, to));
        this.#held += buffer;
        this.#length += size;
        return;
      }
    }
    this.#length += size;
    while (size > 0) {
      let block = this.#block;
      if (block === undefined || this.#used === block.length) {
        this.#close();
        block = this.#block = this.#newBlock(size);
        this.#start = this.#used = 0;
      }
      const n = Math.min(size, block.length - this.#used);
      copyInto(block, this.#used, chunk, from, from + n);
      this.#used += n;
      from += n;
      size -= n;
    }
  }

  /** Moves what was collected into one array of the declared length. */
  #toWhole(): void {
    const whole = new Uint8Array(this.#cap);
    this.#close();
    let at = 0;
    for (const piece of this.#done) {
      copyInto(whole, at, piece, 0, piece.length);
      at += piece.length;
    }
    if (this.#done.length > 0) this.#done = [];
    this.#block = whole;
    this.#start = 0;
    this.#used = at;
    this.#held = this.#allocated = whole.length;
    this.#whole = true;
  }

  /** A block for the next `size` bytes, of which `#length` include these. */
  #newBlock(size: number): Uint8Array {
    const before = this.#length - size;
    const rest = this.#cap - before;
    let block: Uint8Array;
    if (rest <= UPFRONT_BYTES) {
      // A modest rest: exactly it.
      block = new Uint8Array(rest);
    } else if (
      !this.#pieces && this.#block === undefined && this.#done.length === 0
    ) {
      // The first block of a body that will be copied out: the spare.
      block = this.#spare ??= new Uint8Array(MIN_BLOCK);
    } else {
      block = new Uint8Array(Math.min(rest, Math.max(MIN_BLOCK, before)));
    }
    this.#held += block.length;
    this.#allocated += block.length;
    return block;
  }
}
