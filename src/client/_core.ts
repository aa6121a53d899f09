// The core of the client: its state machine (connecting, connected,
// reconnecting, disconnecting, closed), the run loop that opens connections
// for as long as the client lives, the dispatch of received frames, and the
// one place where a lost connection or a closed client reaches every
// registry (`lost(epoch, error)`, `closed(error)`). What lives as long as the
// client lives here; what a connection holds lives in the connection; what
// survives a reconnection lives in the registry that owns its id.

import type { StompFrame } from "../frame.ts";
import {
  StompConnectionError,
  StompServerError,
  type StompTimeoutError,
  StompUnhandledMessageError,
} from "./errors.ts";
import { operationTimeout } from "./_options.ts";
import type {
  DisconnectOptions,
  DrainOptions,
  StompClientOptions,
  StompClientState,
} from "./options.ts";
import { Brokers, isArgumentError, sameEveryAttempt } from "./_brokers.ts";
import {
  ConnectAttempt,
  Connection,
  type ConnectionHandlers,
} from "./_connection.ts";
import { type EpochFate, Message, type Subscription } from "./_impl.ts";
import { drainClient } from "./_drain.ts";
import { Deadlines, type Operation, watchProgress } from "./_operation.ts";
import { type ClientState, Operations } from "./_operations.ts";
import type { ClientSettings } from "./_options.ts";
import { Outbox } from "./_outbox.ts";
import { Receipts } from "./_receipts.ts";
import { Attempts } from "./_reconnect.ts";
import { StompSession } from "./session.ts";
import type { BrokerUrl } from "./_urls.ts";
import type { StompClient } from "./client.ts";
import { Hooks } from "./_hooks.ts";
import {
  afterConnected,
  disconnectStalled,
  escapedCredentials,
  lossHint,
  notWritten,
} from "./_loss.ts";
import { asError, type Deferred, deferred, describe, noop } from "./_util.ts";
import { type ConnectionStats, newStats } from "./_wiretap.ts";

export class ClientCore implements ClientState {
  readonly session: StompSession;
  readonly outbox: Outbox;
  /** The operations; what messages, subscriptions, transactions call. */
  readonly ops: Operations;
  readonly #settings: ClientSettings;
  readonly #attempts: Attempts;
  readonly #brokers: Brokers;
  readonly #receipts = new Receipts({
    waiting: () => this.#connection?.resume(), // reads on: see #mustPause
    held: (bytes) => this.outbox.hold(bytes), // counted in sendBufferSize
  });
  readonly #stats: ConnectionStats = newStats();
  readonly #closed = deferred<void>();
  readonly #deadlines: Deadlines;
  readonly #handlers: ConnectionHandlers;
  /** Runs the callbacks of the options; none can break the client. */
  readonly #hooks: Hooks;
  /** The facade, for the events that hand it to the callbacks. */
  readonly #client: StompClient;

  #state: StompClientState = "connecting";
  /** The connection operations issued now go out on, and its fate. */
  #fate: EpochFate = { epoch: 1, lost: undefined };
  #connection: Connection | undefined;
  #ready = false;
  #closeError: Error | undefined;
  #lastReported: Error | undefined;
  #disconnecting: Promise<void> | undefined;
  #draining: Promise<void> | undefined;
  #goodbye: Operation<void> | undefined;
  /** The connection DISCONNECT was written on. */
  #goodbyeEpoch: number | undefined;
  #cancelSleep: (() => void) | undefined;
  /** The last ERROR that answered CONNECT: a refused login. */
  #refusal: Error | undefined;
  /** The timeout error of a disconnect() that gave up, once it did. */
  #gaveUp: StompTimeoutError | undefined;
  #serverName: string | undefined;

  constructor(
    client: StompClient,
    settings: ClientSettings,
    options: StompClientOptions,
    brokers: readonly BrokerUrl[] | undefined,
  ) {
    this.#client = client;
    this.#settings = settings;
    this.#hooks = new Hooks(settings.onError, this.#stats);
    this.session = new StompSession(options);
    this.outbox = new Outbox(
      settings.sendBufferSize,
      () => settings.timers.now(),
    );
    this.#attempts = new Attempts(
      settings.policy,
      (thrown) => this.#hooks.failed("reconnect.random", thrown),
    );
    this.#brokers = new Brokers(settings, brokers);
    this.#closed.promise.catch(noop);
    this.#deadlines = new Deadlines(settings.timers);
    this.ops = new Operations(this, {
      session: this.session,
      outbox: this.outbox,
      receipts: this.#receipts,
      stats: this.#stats,
      context: {
        timers: settings.timers,
        deadlines: this.#deadlines,
        report: (error) => this.report(error),
        behind: () =>
          this.#connection?.paused && this.ops.subscriptions.behind(),
      },
    }, settings);
    this.#handlers = {
      frame: (connection, frame) => this.#onFrame(connection, frame),
      lost: (connection, error) => this.#onLost(connection, error),
      mustPause: () => this.#mustPause(),
    };
  }

  get state(): StompClientState {
    return this.#state;
  }

  get epoch(): number {
    return this.#fate.epoch;
  }

  get fate(): EpochFate {
    return this.#fate;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get connection(): Connection | undefined {
    return this.#connection;
  }

  get closeError(): Error | undefined {
    return this.#closeError;
  }

  get serverName(): string | undefined {
    return this.#serverName;
  }

  get draining(): boolean {
    return this.#draining !== undefined;
  }

  get reconnects(): boolean {
    return this.#settings.policy !== undefined;
  }

  get url(): URL | undefined {
    return this.#brokers.url;
  }

  /** The counters, as a snapshot. */
  get stats(): ConnectionStats {
    return { ...this.#stats };
  }

  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /**
   * Starts the run loop; resolves once the first connection is up, rejects
   * (the client closed) when it cannot be made.
   */
  async start(signal: AbortSignal | undefined): Promise<void> {
    const first = deferred<void>();
    first.promise.catch(noop);
    this.#run(signal, first);
    try {
      await first.promise;
    } catch (error) {
      // The caller gets the error; onError had the server's already.
      this.#finish(asError(error), false);
      await this.#connection?.reading;
      throw error;
    }
  }

  disconnect(options: DisconnectOptions): Promise<void> {
    switch (this.#state) {
      case "closed":
        return this.#settledClose();
      case "disconnecting":
        return this.#disconnecting!;
      case "connecting":
        this.#finish(undefined);
        return this.#settledClose();
      default: {
        // A bad signal or timeout leaves the client as it was.
        const invalid = operationTimeout("disconnect", options, 0);
        if (invalid instanceof Error) return this.ops.refuse(invalid);
        const disconnecting = this.#disconnect(options);
        disconnecting.catch(noop);
        this.#disconnecting = disconnecting;
        return disconnecting;
      }
    }
  }

  close(): void {
    this.#finish(undefined);
  }

  /**
   * Drains every subscription (not the one replies come to), then
   * disconnects; rejects, once disconnected, with the first drain's error.
   */
  drain(options: DrainOptions): Promise<void> {
    if (this.#draining !== undefined) return this.#draining;
    const invalid = operationTimeout("drain", options, 0);
    if (invalid instanceof Error) return this.ops.refuse(invalid);
    if (this.#state === "closed" || this.#state === "disconnecting") {
      return this.disconnect({});
    }
    const draining = drainClient(this.ops, options, (o) => this.disconnect(o));
    draining.catch(noop);
    this.#draining = draining;
    return draining;
  }

  report(error: Error): void {
    // One failure, once: a lost connection or a closed client caused by the
    // error just reported is not reported again.
    const last = this.#lastReported;
    if (
      last !== undefined && (error === last || error.cause === last ||
        (error.cause instanceof Error && error.cause.cause === last))
    ) return;
    this.#lastReported = error;
    this.#hooks.error(error);
  }

  // --- connections: open, keep, replace -------------------------------------

  /**
   * Opens connections for as long as the client lives: the first (settling
   * `first`), then, with `reconnect`, a new one after each loss.
   */
  async #run(signal: AbortSignal | undefined, first: Deferred<void>) {
    const attempts = this.#attempts;
    const policy = attempts.policy;
    const timers = this.#settings.timers;
    let up = false;
    while (!this.#isClosed()) {
      let connection: Connection;
      try {
        connection = await this.#attempt(up ? undefined : signal);
        // A frame read between the attempt's end and now may have ended it.
        if (connection.dead) throw afterConnected(connection.error!);
      } catch (thrown) {
        const error = asError(thrown);
        if (this.#isClosed()) {
          if (!up) first.reject(error);
          return;
        }
        const cause = error.cause;
        if (isArgumentError(cause)) {
          // Never retried: connect() rejects with the argument's own error.
          if (up) this.#finish(error);
          else first.reject(cause);
          return;
        }
        // A refused login is no outage: retried only when beforeConnect
        // may bring other credentials.
        const refused = error === this.#refusal &&
          this.#settings.beforeConnect === undefined;
        const retry = policy !== undefined && !refused &&
          (up || (policy.retryFirstConnect && !signal?.aborted));
        if (!retry) {
          if (up) this.#finish(error);
          else first.reject(error);
          return;
        }
        this.#failedAttempt(error);
        if (!await this.#backOff(error, up, signal)) {
          if (!up) first.reject(this.#closeError ?? error);
          return;
        }
        continue;
      }
      if (up) this.#stats.reconnects++;
      up = true;
      this.#ready = true;
      attempts.connected(timers.now());
      if (this.#state !== "disconnecting") this.#setState("connected");
      first.resolve();
      connection.drain(this.outbox);
      await connection.ended.promise;
      if (this.#isClosed() || this.#goodbye?.done) return;
      const error = connection.error!;
      if (policy === undefined) {
        this.#finish(error);
        return;
      }
      attempts.lost(timers.now());
      if (this.#state !== "disconnecting") {
        this.#setState("reconnecting", error);
      }
      if (!await this.#backOff(error, true, undefined)) return;
    }
  }

  /**
   * Waits before the next attempt; false once the client gave up or closed.
   * `up`: a connection was made before (else `connect()` is still waiting,
   * and gets the error itself; `signal` is its).
   */
  async #backOff(
    last: Error,
    up: boolean,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const delay = this.#attempts.next();
    if (delay === undefined) {
      this.#finish(
        new StompConnectionError(
          `Cannot ${up ? "reconnect" : "connect"}: gave up after ${
            this.#attempts.policy!.retries
          } retries; last error: ${last.message}`,
          { cause: last },
        ),
        up,
      );
      return false;
    }
    await this.#sleep(delay, up ? undefined : signal);
    if (!up && signal?.aborted) {
      this.#finish(
        new StompConnectionError("Connection attempt aborted", {
          cause: signal.reason,
        }),
        false,
      );
    }
    return this.#state !== "closed";
  }

  #failedAttempt(error: Error): void {
    const number = this.#attempts.failed();
    const hook = this.#attempts.policy?.onFailedAttempt;
    if (hook === undefined) return;
    this.#hooks.call2("reconnect.onFailedAttempt", hook, error, number);
  }

  /**
   * One attempt: `beforeConnect`, a new transport, CONNECT / CONNECTED, the
   * subscriptions restored, all within the connect timeout and until the
   * signal aborts.
   */
  async #attempt(signal: AbortSignal | undefined): Promise<Connection> {
    const settings = this.#settings;
    const broker = this.#brokers.attempt(
      this.#attempts.begin(),
      this.#attempts.wasUp,
    );
    const attempt = new ConnectAttempt(
      settings.connectTimeout,
      signal,
      settings.timers,
      broker,
    );
    try {
      const connection = await attempt.open(
        (stop) => broker.open(stop),
        (transport) =>
          new Connection(this.#fate.epoch, transport, {
            stats: this.#stats,
            trace: settings.trace,
            redact: settings.redact,
            hooks: this.#hooks,
            limits: settings.limits,
            bodyChunks: settings.bodyChunks,
            unconfirmedBytes: settings.unconfirmedBytes,
            url: broker.url,
            timers: settings.timers,
            grace: settings.grace,
          }, this.#handlers),
      );
      let connect: StompFrame;
      try {
        if (this.#isClosed()) {
          throw new StompConnectionError(
            "Cannot connect: the client was closed",
          );
        }
        if (this.session.state !== "idle") this.session.reset();
        this.#connection = connection;
        connect = this.session.connectFrame(broker.overrides());
      } catch (error) {
        connection.transport.close();
        throw sameEveryAttempt(error);
      }
      try {
        await connection.open(connect);
      } catch (error) {
        if (error instanceof StompServerError) this.#refusal = error;
        throw escapedCredentials(error, connect);
      }
      try {
        // Frames that came with CONNECTED (in the same read) were handled
        // before this: one that ended the connection fails the attempt.
        if (connection.dead) throw connection.error;
        await this.#restore(connection);
        if (connection.dead) throw connection.error;
      } catch (error) {
        throw connection.dead ? afterConnected(connection.error!) : error;
      }
      return connection;
    } finally {
      attempt.end();
    }
  }

  /**
   * Re-subscribes, under their ids, the subscriptions whose SUBSCRIBE went
   * out on an earlier connection (those still queued go out in their turn).
   */
  async #restore(connection: Connection): Promise<void> {
    this.ops.requests.reconnected();
    for (
      const { subscription, out } of this.ops.subscriptions.restore(
        connection.epoch,
      )
    ) {
      this.#receipts.add(out.receipt!, {
        confirm: () => subscription.confirmed(),
        fail: noop,
        subscription: subscription.id,
        epoch: connection.epoch,
      });
      await connection.writeFrame(out.frame);
    }
  }

  // --- what comes in ----------------------------------------------------------

  #onFrame(connection: Connection, frame: StompFrame): void {
    if (connection.dead || connection !== this.#connection) return;
    if (frame.command === "ERROR" && this.#late(frame)) return;
    const event = this.session.receive(frame);
    switch (event.type) {
      case "connected":
        this.#serverName = frame.headers.get("server");
        connection.established(event.version, event.heartBeat);
        return;
      case "message": {
        const ops = this.ops;
        // A subscription drained in auto mode takes messages until its
        // UNSUBSCRIBE is confirmed, when the session has forgotten it.
        const id = event.subscription?.id ?? frame.headers.get("subscription");
        const subscription = id === undefined
          ? undefined
          : ops.subscriptions.get(id);
        const replies = ops.requests.replySubscription(frame, subscription);
        if (replies !== undefined) {
          this.#reply(frame, replies, connection.epoch);
        } else if (subscription === undefined) {
          if (!this.#late(frame)) this.#unhandled(frame);
        } else {
          this.#stats.messages++;
          subscription.deliver(
            new Message(frame, subscription, connection.epoch, ops),
          );
        }
        return;
      }
      case "receipt": {
        const pending = this.#receipts.take(event.receiptId);
        if (pending !== undefined) pending.confirm();
        else connection.confirmed(event.receiptId);
        if (event.disconnected) this.#goodbye?.resolve();
        return;
      }
      case "error": {
        const error = event.error;
        // RabbitMQ names no receipt when it refuses a destination; the
        // oldest unconfirmed SUBSCRIBE is then the likeliest cause.
        const id = frame.headers.get("receipt-id") ??
          this.#receipts.oldestSubscribe(connection.epoch);
        const pending = id === undefined ? undefined : this.#receipts.take(id);
        if (pending?.subscription !== undefined) {
          // Refused: ended with the error, not restored.
          this.ops.subscriptions.drop(pending.subscription, error);
        }
        pending?.fail(error, false);
        this.report(error);
        connection.lose(
          this.#ready
            ? new StompConnectionError(
              `Connection ended by an ERROR from the server: ${error.message}`,
              { cause: error },
            )
            : error,
        );
        return;
      }
    }
  }

  /** A reply: to its request, or, if none waits for it, unhandled. */
  #reply(frame: StompFrame, subscription: Subscription, epoch: number): void {
    const taken = this.ops.requests.settle(
      frame,
      () => new Message(frame, subscription, epoch, this.ops),
    );
    if (taken) this.#stats.messages++;
    else this.#unhandled(frame);
  }

  /** A delivery after its UNSUBSCRIBE: counted, dropped (see `late`). */
  #late(frame: StompFrame): boolean {
    if (!this.ops.subscriptions.late(frame)) return false;
    this.#stats.lateDeliveries++;
    return true;
  }

  /** A MESSAGE nobody subscribed for: to onUnhandledMessage, or reported. */
  #unhandled(frame: StompFrame): void {
    this.#stats.unhandled++;
    const handler = this.#settings.onUnhandledMessage;
    if (handler === undefined) {
      this.report(new StompUnhandledMessageError(frame));
      return;
    }
    this.#hooks.call("onUnhandledMessage", handler, frame);
  }

  #mustPause(): boolean {
    // While disconnecting, only messages already in flight can still come,
    // and the RECEIPT must not wait behind them.
    if (this.#state === "disconnecting" || this.#state === "closed") {
      return false;
    }
    // An awaited RECEIPT may be behind messages: read on, to a bound.
    const { full, overfull } = this.ops.subscriptions;
    return this.#receipts.size > 0 ? overfull : full;
  }

  // --- losing a connection, closing -----------------------------------------

  /** A connection ended: what belonged to it fails, the rest waits. */
  #onLost(connection: Connection, error: Error): void {
    if (connection !== this.#connection || this.#state === "closed") return;
    const wasUp = this.#ready;
    this.#ready = false;
    const sending = this.session.heartBeat.send > 0;
    // CONNECTED came: the session forgets the transactions begun for it.
    const established = this.session.version !== undefined;
    this.session.reset();
    if (this.#goodbyeEpoch === connection.epoch) {
      // DISCONNECT went out: a server closing instead of answering is done,
      // unless it sent an ERROR (it refused something sent before).
      if (!(error.cause instanceof StompServerError)) this.#goodbye?.resolve();
      else this.#goodbye?.fail(error, false);
      return;
    }
    const lost = lossHint(
      error instanceof StompConnectionError
        ? error
        : new StompConnectionError(`Connection lost: ${describe(error)}`, {
          cause: error,
        }),
      this.#serverName,
      sending,
    );
    if (!wasUp) {
      // An attempt failed after CONNECTED: what was bound to its connection
      // (a BEGIN issued while reconnecting, and all of its transaction)
      // ends with it, as the session forgot it; the attempt's failure is
      // reported as such.
      if (established) this.#endEpoch(connection.epoch, lost);
      return;
    }
    this.#endEpoch(connection.epoch, lost);
    this.ops.requests.lost(connection.epoch, lost);
    this.ops.subscriptions.lost(connection.epoch, lost);
    // An ERROR that ended it was reported as itself.
    if (!(lost.cause instanceof StompServerError)) this.report(lost);
    // The state changes now, not a turn later: code resuming from an
    // operation this loss failed sees the client as it is.
    if (!this.reconnects) this.#finish(lost);
    else if (this.#state !== "disconnecting") {
      this.#setState("reconnecting", lost);
    }
  }

  /**
   * Connection `epoch` ended with `lost`: what was bound to it fails, and
   * operations issued from now on go out on the next connection.
   */
  #endEpoch(epoch: number, lost: StompConnectionError): void {
    this.#fate.lost = lost;
    this.#fate = { epoch: epoch + 1, lost: undefined };
    this.#receipts.lost(epoch, lost);
    this.outbox.lost(epoch, lost);
  }

  /**
   * Closes the client for good; `error` undefined means a clean close.
   * `dropped`: what fails what was still queued, when a disconnect() that
   * gave up closes it; `error` (its timeout) is then kept as it is.
   */
  #finish(error: Error | undefined, reportIt = true, dropped?: Error): void {
    if (this.#state === "closed") return;
    const failure = error === undefined ||
        error instanceof StompConnectionError || dropped !== undefined
      ? error
      : new StompConnectionError(describe(error), { cause: error });
    this.#closeError = failure;
    this.#ready = false;
    this.#setState("closed", failure);
    if (failure !== undefined && reportIt) this.report(failure);
    // A disconnect() that gave up still closed the client as asked: only
    // what was not written says more.
    const closing = failure !== undefined && dropped === undefined
      ? failure
      : new StompConnectionError(
        "The client was closed",
        failure === undefined ? undefined : { cause: failure },
      );
    this.#cancelSleep?.();
    const connection = this.#connection;
    connection?.lose(closing);
    this.#receipts.closed(closing);
    this.outbox.closed(dropped ?? closing);
    this.#goodbye?.fail(closing, false);
    this.ops.requests.closed(closing);
    this.ops.subscriptions.closed(
      dropped === undefined ? failure : undefined,
      closing,
    );
    this.#deadlines.close();
    const reading = connection?.reading ?? Promise.resolve();
    reading.then(() => {
      if (failure === undefined) this.#closed.resolve();
      else this.#closed.reject(failure);
    });
  }

  #sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const timers = this.#settings.timers;
    return new Promise((resolve) => {
      const done = () => {
        timers.clearTimeout(timer);
        this.#cancelSleep = undefined;
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = timers.setTimeout(done, ms);
      this.#cancelSleep = done;
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  async #disconnect(options: DisconnectOptions): Promise<void> {
    this.#setState("disconnecting");
    // A reader paused for a full buffer must go on: the RECEIPT is behind.
    this.#connection?.resume();
    // Its timeout counts time without progress, not the backlog's time.
    const { disconnectTimeout, timers } = this.#settings;
    const timeout = operationTimeout("disconnect", options, disconnectTimeout);
    const goodbye = this.ops.operation<void>("DISCONNECT", {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      timeout: 0, // checked by disconnect(); watched for progress below
    }, true);
    this.#goodbye = goodbye;
    let stopWatching = noop;
    if (!goodbye.done) {
      const headers = options.headers;
      this.outbox.push({
        // Built at its turn: the session goes "disconnecting" only then.
        frame: () =>
          this.session.disconnect(
            headers === undefined ? {} : { headers },
          ).frame,
        size: 64,
        epoch: undefined,
        accept: undefined,
        fail: (error) => goodbye.fail(error, false),
        written: (epoch) => {
          this.#goodbyeEpoch = epoch;
          goodbye.advance("receipt");
        },
      });
      if (this.#ready) this.#connection?.kick();
      const outbox = this.outbox;
      if (typeof timeout === "number" && timeout > 0) {
        stopWatching = watchProgress(timers, timeout, outbox, () => {
          this.#gaveUp = disconnectStalled(timeout, goodbye.phase, outbox);
          goodbye.fail(this.#gaveUp, true);
        });
      }
    }
    let failure: Error | undefined;
    let dropped: Error | undefined;
    try {
      await goodbye.promise;
    } catch (error) {
      const ended = error as Error | null;
      // Ended by the server's ERROR: the client closes with it.
      if (ended?.cause instanceof StompServerError) failure = ended;
      else if (ended !== null && ended === this.#gaveUp) {
        // The client ends with it; what was not written fails saying why.
        failure = ended;
        dropped = notWritten(ended);
      }
      throw error;
    } finally {
      stopWatching();
      this.#finish(failure, dropped === undefined, dropped);
      await this.#connection?.reading;
    }
  }

  async #settledClose(): Promise<void> {
    await this.#connection?.reading;
  }

  /** A method, so that the compiler does not narrow it across awaits. */
  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #setState(state: StompClientState, error?: Error): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    const onStateChange = this.#settings.onStateChange;
    if (onStateChange === undefined) return;
    this.#hooks.call("onStateChange", onStateChange, {
      state,
      previous,
      error,
      url: this.#brokers.url,
      client: this.#client,
    });
  }
}
