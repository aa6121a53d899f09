// The operations: each call (send, subscribe, request, begin, ACK, NACK,
// UNSUBSCRIBE, a transaction's SEND, COMMIT, ABORT) checked, turned into a
// frame by the session, and given its place in the outgoing order, with its
// timeout, signal and receipt. The common ones (a SEND, an ACK without
// options) take a fast path that needs no operation at all. What the
// handed-out objects (messages, subscriptions, transactions) ask of the
// client lands here.

import type { StompBody } from "../frame.ts";
import { StompHeaders } from "../headers.ts";
import type { Connection } from "./_connection.ts";
import { StompConnectionError, StompServerError } from "./errors.ts";
import {
  type Acknowledger,
  type EpochFate,
  type Message,
  type Subscription,
  type SubscriptionOwner,
  Transaction,
  type TransactionOwner,
} from "./_impl.ts";
import type {
  BeginOptions,
  ClientSendOptions,
  ClientSubscribeOptions,
  OperationOptions,
  RequestOptions,
  StompClientState,
} from "./options.ts";
import type { MessageAckOptions, StompMessage } from "./message.ts";
import { Operation, type OperationContext } from "./_operation.ts";
import { operationTimeout, validTimeout } from "./_options.ts";
import type { ClientSettings } from "./_options.ts";
import type { Outbox } from "./_outbox.ts";
import type { Receipts } from "./_receipts.ts";
import { type ReplyHost, Requests } from "./_requests.ts";
import {
  notText,
  sendLater,
  sendNow,
  sendOptions,
  SendRules,
} from "./_sends.ts";
import type { SessionOutput, StompSession } from "./session.ts";
import { Subscriptions } from "./_subscriptions.ts";
import type { StompSubscription, UnsubscribeOptions } from "./subscription.ts";
import type {
  StompTransaction,
  TransactionEndOptions,
  TransactionSendOptions,
} from "./transaction.ts";
import type { ConnectionStats } from "./_wiretap.ts";
import { ackFault, ackList } from "./_acks.ts";
import { noop, positive } from "./_util.ts";
import { type DrainHost, drainSubscription } from "./_drain.ts";
import type { DrainOptions } from "./options.ts";

/** What operations read of the client's state (the core owns it). */
export interface ClientState {
  readonly state: StompClientState;
  /** The connection that operations issued now go out on. */
  readonly epoch: number;
  /** That connection's fate: the error it ends with, once it has. */
  readonly fate: EpochFate;
  /** The current connection is up: CONNECTED came, subscriptions restored. */
  readonly ready: boolean;
  readonly connection: Connection | undefined;
  /** The error the client closed with, if it failed. */
  readonly closeError: Error | undefined;
  /** The `server` header of the last CONNECTED. */
  readonly serverName: string | undefined;
  /** Whether the client reconnects. */
  readonly reconnects: boolean;
  /** Whether the client drains (it takes no new subscription). */
  readonly draining: boolean;
  /** To onError, once. */
  report(error: Error): void;
}

/** What queuing an operation's frame needs beyond the frame. */
interface Enqueue<T> {
  /** The value the operation resolves with. */
  readonly value: T;
  /** The connection it belongs to, if any (ACK, NACK, transactions). */
  readonly epoch?: number | undefined;
  /** The caller asked for a RECEIPT: resolve on it, not on acceptance. */
  readonly confirmed: boolean;
  /** The subscription a SUBSCRIBE is for (its receipt tells a refusal). */
  readonly subscription?: Subscription;
  readonly skip?: (epoch: number) => boolean;
  readonly written?: (epoch: number) => void;
  /** Called when the timeout or the signal ends the operation first. */
  readonly cancelled?: () => void;
  /** A SEND's text body, left out of its frame (see FrameEntry.text). */
  readonly text?: string | undefined;
  /**
   * Resolve once written, not when accepted: until then the operation can
   * still be taken out (a request's SEND, ended with its request).
   */
  readonly whenWritten?: boolean;
  /** A text SEND written without content-length. */
  readonly lengthless?: boolean;
}

/** What an operation's `prepare` returns: its frame and how to queue it. */
interface Prepared<T> extends Omit<Enqueue<T>, "confirmed"> {
  /** The frame to queue; `undefined` when there is nothing to write. */
  readonly out: SessionOutput | undefined;
  /** Undoes what `prepare` did, when the frame could not be queued. */
  readonly unqueued?: () => void;
}

export class Operations
  implements
    Acknowledger,
    SubscriptionOwner,
    TransactionOwner,
    ReplyHost,
    DrainHost {
  readonly subscriptions: Subscriptions;
  readonly requests: Requests;
  readonly context: OperationContext;
  readonly #client: ClientState;
  readonly #session: StompSession;
  readonly #outbox: Outbox;
  readonly #receipts: Receipts;
  readonly #stats: ConnectionStats;
  readonly #rules: SendRules;
  readonly #receiptTimeout: number;
  readonly #highWaterMark: number;
  readonly #highWaterMarkBytes: number;
  /** The subscriptions replies to requests come to (not drained). */
  readonly #replies = new WeakSet<Subscription>();

  constructor(
    client: ClientState,
    parts: {
      readonly session: StompSession;
      readonly outbox: Outbox;
      readonly receipts: Receipts;
      readonly stats: ConnectionStats;
      readonly context: OperationContext;
    },
    settings: ClientSettings,
  ) {
    this.#client = client;
    this.#session = parts.session;
    this.#outbox = parts.outbox;
    this.#receipts = parts.receipts;
    this.#stats = parts.stats;
    this.context = parts.context;
    this.#rules = new SendRules(settings);
    this.#receiptTimeout = settings.receiptTimeout;
    this.#highWaterMark = settings.highWaterMark;
    this.#highWaterMarkBytes = settings.highWaterMarkBytes;
    this.subscriptions = new Subscriptions(parts.session, this);
    this.requests = new Requests(
      this,
      settings.replyMode,
      settings.replyDestination,
    );
  }

  get serverName(): string | undefined {
    return this.#client.serverName;
  }

  /** A rejected promise nobody has to observe; the error goes to onError. */
  refuse(error: Error): Promise<never> {
    this.#client.report(error);
    const refused = Promise.reject(error);
    refused.catch(noop);
    return refused;
  }

  /** A subscription's buffer has room again: the connection reads on. */
  resume(): void {
    this.#client.connection?.resume();
  }

  send(
    destination: string,
    body: StompBody | undefined,
    options: ClientSendOptions,
  ): Promise<void> {
    const rules = this.#rules;
    const refused = rules.refusal(destination, body, options) ??
      this.#notText(destination, body);
    if (refused !== undefined) return this.refuse(refused);
    const lengthless = rules.lengthless(destination, body, options);
    if (lengthless instanceof TypeError) return this.refuse(lengthless);
    if (options.receipt !== true && options.signal?.aborted !== true) {
      const client = this.#client;
      const connection = client.ready ? client.connection : undefined;
      const outbox = this.#outbox;
      if (connection !== undefined && outbox.hasRoom) {
        if (
          !this.#closing &&
          sendNow(outbox, connection, destination, body, options, lengthless)
        ) return Promise.resolve();
      } else if (!this.#closing) {
        const waiting = sendLater(
          outbox,
          destination,
          body,
          options,
          lengthless,
          this.context.report,
        );
        if (waiting !== undefined) {
          if (client.ready) client.connection?.kick();
          return waiting;
        }
      }
    }
    return this.#issue(
      `SEND to ${JSON.stringify(destination)}`,
      options,
      () => {
        this.checkOpen("send");
        // Text stays a string until it is encoded, straight into the
        // outgoing bytes (now, or at its turn if it waits).
        const text = typeof body === "string" ? body : undefined;
        return {
          out: this.#session.send(
            destination,
            text === undefined ? body : undefined,
            sendOptions(options),
          ),
          value: undefined,
          text,
          lengthless,
        };
      },
    );
  }

  /**
   * On a connection that carries text only, the error for a body that is
   * not UTF-8 (one queued before it is checked when written).
   */
  #notText(
    destination: string,
    body: StompBody | undefined,
  ): TypeError | undefined {
    return this.#client.connection?.textOnly === true
      ? notText(destination, body)
      : undefined;
  }

  /** subscribe(), telling `made` the subscription as soon as it exists. */
  subscribe(
    destination: string,
    options: ClientSubscribeOptions,
    made?: (subscription: Subscription) => void,
  ): Promise<StompSubscription> {
    return this.#issue<StompSubscription>(
      `SUBSCRIBE to ${JSON.stringify(destination)}`,
      options,
      (op, confirmed) => {
        const highWaterMark = options.highWaterMark === undefined
          ? this.#highWaterMark
          : positive("highWaterMark", options.highWaterMark, true, "subscribe");
        const highWaterMarkBytes = options.highWaterMarkBytes === undefined
          ? this.#highWaterMarkBytes
          : positive(
            "highWaterMarkBytes",
            options.highWaterMarkBytes,
            true,
            "subscribe",
          );
        this.checkOpen("subscribe");
        if (this.#client.draining) {
          throw new StompConnectionError(
            "Cannot subscribe: the client is draining",
          );
        }
        const { subscription, out } = this.subscriptions.open(
          destination,
          {
            ...(options.ack === undefined ? {} : { ack: options.ack }),
            ...(options.headers === undefined
              ? {}
              : { headers: options.headers }),
            // Always: the receipt is how a refusal is told from other errors.
            receipt: true,
          },
          highWaterMark,
          highWaterMarkBytes,
        );
        made?.(subscription);
        if (confirmed) subscription.awaitReceipt(op);
        return {
          out,
          value: subscription,
          subscription,
          written: (epoch) => subscription.sentOn(epoch),
          cancelled: () => {
            subscription.awaitReceipt(undefined);
            this.unsubscribe(subscription, {});
          },
          unqueued: () => this.subscriptions.drop(subscription.id),
        };
      },
    );
  }

  subscribeReplies(destination: string): Subscription | undefined {
    let made: Subscription | undefined;
    this.subscribe(destination, {}, (subscription) => made = subscription)
      .catch(noop);
    if (made !== undefined) this.#replies.add(made);
    return made;
  }

  releaseReplies(subscription: Subscription): void {
    if (!this.subscriptions.has(subscription)) return;
    if (subscription.wireEpoch !== undefined && this.#client.ready) {
      this.unsubscribe(subscription, {}).catch(noop);
    } else {
      this.subscriptions.drop(subscription.id);
    }
  }

  request(
    destination: string,
    body: StompBody | undefined,
    options: RequestOptions,
  ): Promise<StompMessage> {
    const what = `request to ${JSON.stringify(destination)}`;
    const op = this.operation<StompMessage>(what, options, true);
    if (op.done) return op.promise;
    let headers: StompHeaders;
    let replyTo: string;
    try {
      this.checkOpen("send a request");
      headers = new StompHeaders(options.headers);
      for (const name of ["reply-to", "correlation-id"]) {
        if (headers.has(name)) {
          throw new TypeError(
            `Cannot send a request: the ${name} header is the request's own (use send() to set it yourself)`,
          );
        }
      }
      replyTo = this.requests.replyTo();
    } catch (error) {
      op.fail(error, true);
      return op.promise;
    }
    const notText = this.#rules.refusal(destination, body, options) ??
      this.#notText(destination, body);
    if (notText !== undefined) {
      op.fail(notText, true);
      return op.promise;
    }
    const lengthless = this.#rules.lengthless(destination, body, options);
    if (lengthless instanceof TypeError) {
      op.fail(lengthless, true);
      return op.promise;
    }
    const requests = this.requests;
    const id = requests.add(op);
    headers.set("reply-to", replyTo);
    headers.set("correlation-id", id);
    // The SEND goes (or is taken out) with the request.
    const stop = new AbortController();
    op.onCancel(() => {
      requests.end(id);
      stop.abort(new StompConnectionError(`The ${what} ended`));
    });
    const sent = this.#issue<void>(`SEND ${what}`, {
      signal: stop.signal,
    }, () => {
      this.checkOpen("send a request");
      const text = typeof body === "string" ? body : undefined;
      return {
        out: this.#session.send(
          destination,
          text === undefined ? body : undefined,
          sendOptions({ ...options, headers }),
        ),
        value: undefined,
        text,
        lengthless,
        whenWritten: true,
        written: (epoch) => {
          requests.sent(id, epoch);
          op.advance("reply");
        },
      };
    });
    sent.catch((error) => {
      requests.end(id);
      op.fail(error, false);
    });
    return op.promise;
  }

  begin(options: BeginOptions): Promise<StompTransaction> {
    return this.#issue<StompTransaction>("BEGIN", options, (_, confirmed) => {
      this.checkOpen("begin a transaction");
      const out = this.#session.begin({
        ...(options.headers === undefined ? {} : { headers: options.headers }),
        ...(confirmed ? { receipt: true } : {}),
      });
      const fate = this.#client.fate;
      const value = new Transaction(out.transaction, fate, this);
      return { out, value, epoch: fate.epoch };
    });
  }

  settle(
    message: Message,
    command: "ACK" | "NACK",
    options: MessageAckOptions,
    transaction: Transaction | undefined,
  ): Promise<void> {
    const client = this.#client;
    if (
      transaction === undefined && options.receipt !== true &&
      options.headers === undefined && options.signal?.aborted !== true &&
      client.ready && this.#outbox.hasRoom && message.epoch === client.epoch &&
      this.#settleNow(message, command, options)
    ) return Promise.resolve();
    const id = JSON.stringify(message.messageId);
    return this.#issue(
      `${command} of message ${id}`,
      options,
      (_, confirmed) => {
        const verb = command === "ACK" ? "acknowledge" : "reject";
        if (message.epoch !== client.epoch || !client.ready) {
          throw new StompConnectionError(
            `Cannot ${verb} message ${id}: it arrived on a connection that was lost, and the broker will deliver it again`,
          );
        }
        if (transaction !== undefined) {
          this.#checkTransaction(transaction, verb);
        }
        this.checkOpen(`${verb} message ${id}`);
        const fault = ackFault(
          command,
          client.connection!.version,
          message.headers,
        );
        if (fault !== undefined) throw fault;
        const ackOptions = {
          ...(confirmed ? { receipt: true } : {}),
          ...(options.headers === undefined
            ? {}
            : { headers: options.headers }),
          ...(transaction === undefined ? {} : { transaction: transaction.id }),
        };
        const out = command === "ACK"
          ? this.#session.ack(message.frame, ackOptions)
          : this.#session.nack(message.frame, ackOptions);
        if (command === "ACK") this.#stats.acks++;
        else this.#stats.nacks++;
        return { out, value: undefined, epoch: message.epoch };
      },
    );
  }

  /** The subscriptions a drain of the client drains (not the replies'). */
  get drainable(): Subscription[] {
    return this.subscriptions.list().filter((s) => !this.#replies.has(s));
  }

  drain(subscription: Subscription, options: DrainOptions): Promise<void> {
    return drainSubscription(subscription, this, options);
  }

  drop(subscription: Subscription, error?: Error): void {
    if (this.subscriptions.has(subscription)) {
      this.subscriptions.drop(subscription.id, error);
    }
  }

  unsubscribe(
    subscription: Subscription,
    options: UnsubscribeOptions,
    retire = false,
  ): Promise<void> {
    const what = `UNSUBSCRIBE from ${JSON.stringify(subscription.destination)}`;
    return this.#issue(what, options, (_, confirmed) => {
      if (!subscription.active) return { out: undefined, value: undefined };
      const state = this.#client.state;
      // Closed or disconnecting (the subscription ends with the session), or
      // refused: nothing to tell the server.
      const out = this.subscriptions.close(
        subscription,
        state === "closed" || state === "disconnecting" ? undefined : {
          ...(confirmed ? { receipt: true } : {}),
          ...(options.headers === undefined
            ? {}
            : { headers: options.headers }),
        },
        retire,
      );
      if (out === undefined) return { out: undefined, value: undefined };
      return {
        out,
        value: undefined,
        // Only a connection that saw the SUBSCRIBE needs the UNSUBSCRIBE.
        skip: (epoch) => {
          if (subscription.wireEpoch === epoch) return false;
          if (out.receipt !== undefined) {
            this.#receipts.take(out.receipt)?.confirm();
          }
          return true;
        },
      };
    });
  }

  transactionSend(
    transaction: Transaction,
    destination: string,
    body: StompBody | undefined,
    options: TransactionSendOptions,
  ): Promise<void> {
    const refused = this.#rules.refusal(destination, body, options, true) ??
      this.#notText(destination, body);
    if (refused !== undefined) return this.refuse(refused);
    const lengthless = this.#rules.lengthless(destination, body, options);
    if (lengthless instanceof TypeError) return this.refuse(lengthless);
    const what = `SEND to ${JSON.stringify(destination)} in transaction ${
      JSON.stringify(transaction.id)
    }`;
    return this.#issue(what, options, () => {
      this.#checkTransaction(transaction, "send in");
      const out = this.#session.send(destination, body, {
        ...sendOptions(options),
        transaction: transaction.id,
      });
      return { out, value: undefined, epoch: transaction.epoch, lengthless };
    });
  }

  transactionEnd(
    transaction: Transaction,
    command: "COMMIT" | "ABORT",
    options: TransactionEndOptions,
  ): Promise<void> {
    const what = `${command} of transaction ${JSON.stringify(transaction.id)}`;
    return this.#issue(what, options, (_, confirmed) => {
      this.#checkTransaction(
        transaction,
        command === "COMMIT" ? "commit" : "abort",
      );
      const endOptions = {
        ...(confirmed ? { receipt: true } : {}),
        ...(options.headers === undefined ? {} : { headers: options.headers }),
      };
      const out = command === "COMMIT"
        ? this.#session.commit(transaction.id, endOptions)
        : this.#session.abort(transaction.id, endOptions);
      return { out, value: undefined, epoch: transaction.epoch };
    });
  }

  /** A new operation, with its timeout (the receipt timeout if `confirmed`). */
  operation<T>(
    what: string,
    options: OperationOptions,
    confirmed: boolean,
  ): Operation<T> {
    const timeout = operationTimeout(
      what,
      options,
      confirmed ? this.#receiptTimeout : 0,
    );
    const invalid = timeout instanceof Error;
    const op = new Operation<T>(
      what,
      this.context,
      invalid ? 0 : timeout,
      invalid ? undefined : options.signal,
    );
    if (invalid) op.fail(timeout, true);
    return op;
  }

  /**
   * Throws the `StompConnectionError` of a closing or closed client; one
   * closed by a failure (a lost connection, reconnection given up) names it.
   */
  checkOpen(verb: string): void {
    const { state, closeError } = this.#client;
    if (state !== "closed" && state !== "disconnecting") return;
    throw new StompConnectionError(
      `Cannot ${verb}: the client is ${state}${
        closeError === undefined ? "" : `: ${closeError.message}`
      }`,
      closeError === undefined ? undefined : { cause: closeError },
    );
  }

  #checkTransaction(transaction: Transaction, verb: string): void {
    if (transaction.epoch !== this.#client.epoch) {
      throw new StompConnectionError(
        `Cannot ${verb} transaction ${
          JSON.stringify(transaction.id)
        }: it was lost with its connection (the broker aborted it)`,
        { cause: transaction.lost },
      );
    }
    this.checkOpen(`${verb} transaction ${JSON.stringify(transaction.id)}`);
  }

  /** Whether an operation issued now is encoded now (see #enqueue). */
  get #encodesNow(): boolean {
    const client = this.#client;
    return client.ready && client.connection !== undefined &&
      this.#outbox.hasRoom;
  }

  /** Whether the client takes no more operations. */
  get #closing(): boolean {
    const state = this.#client.state;
    return state === "closed" || state === "disconnecting";
  }

  /**
   * Issues one operation: `prepare` builds its frame (throwing for a bad
   * argument or a closed client), and the frame takes its place in the
   * order. Whatever fails rejects the returned promise, which is never left
   * to reject unobserved.
   */
  #issue<T>(
    what: string,
    options: OperationOptions & { receipt?: boolean | undefined },
    prepare: (op: Operation<T>, confirmed: boolean) => Prepared<T>,
  ): Promise<T> {
    const confirmed = options.receipt === true;
    const op = this.operation<T>(what, options, confirmed);
    if (op.done) return op.promise;
    let prepared: Prepared<T>;
    try {
      prepared = prepare(op, confirmed);
    } catch (error) {
      op.fail(error, true);
      return op.promise;
    }
    if (prepared.out === undefined) {
      op.resolve(prepared.value);
    } else if (!this.#enqueue(op, prepared.out, { ...prepared, confirmed })) {
      prepared.unqueued?.();
    }
    return op.promise;
  }

  /**
   * The common acknowledgement, like a SEND's fast path: on its connection, within the
   * send buffer, without a receipt, transaction or extra headers. Returns
   * false, having queued nothing, for anything the general path must see.
   */
  #settleNow(
    message: Message,
    command: "ACK" | "NACK",
    options: MessageAckOptions,
  ): boolean {
    const connection = this.#client.connection;
    if (this.#closing || connection === undefined) return false;
    if (!validTimeout(options.timeout)) return false;
    const version = connection.version;
    const list = ackList(command, version, message.frame.headers);
    if (list === undefined) return false;
    if (
      !this.#outbox.pushPlain(command, list, "", version, message.epoch)
    ) return false;
    connection.kick(true);
    if (command === "ACK") this.#stats.acks++;
    else this.#stats.nacks++;
    return true;
  }

  /**
   * Puts an operation's frame in the outgoing order. On a connection whose
   * version is known, and within the send buffer's limit, the frame is
   * encoded now, so that one it cannot carry fails at the call (a
   * `TypeError`) and memory stays within the limit; past the limit only the
   * frame is kept, to be encoded at its turn.
   */
  #enqueue<T>(
    op: Operation<T>,
    out: SessionOutput,
    how: Enqueue<T>,
  ): boolean {
    const receipt = out.receipt;
    const subscription = how.subscription;
    const client = this.#client;
    const connection = client.connection;
    const outbox = this.#outbox;
    let bytes: Uint8Array | undefined;
    if (this.#encodesNow) {
      // Accepted at once and nothing to call back: a plain frame joins the
      // outgoing batch, like a plain SEND (sendNow).
      if (
        receipt === undefined && !how.confirmed && how.written === undefined &&
        how.skip === undefined && subscription === undefined
      ) {
        const frame = out.frame;
        // A frame bound to this connection is escaped for its version.
        const version = how.epoch === undefined
          ? undefined
          : connection!.version;
        if (
          outbox.pushPlain(
            frame.command,
            StompHeaders.flat(frame.headers),
            how.text ?? frame.body,
            version,
            how.epoch,
            how.lengthless !== true,
          )
        ) {
          op.resolve(how.value);
          // Acknowledgements (bound to the connection) wait for the end of
          // the task, to share a write with the others of the loop.
          connection!.kick(how.epoch !== undefined);
          return true;
        }
      }
      try {
        bytes = outbox.encodeNow(
          out.frame,
          how.text,
          connection!.version,
          how.lengthless === true,
        );
      } catch (error) {
        // Never sent: the session need not wait for its receipt.
        if (receipt !== undefined) this.#session.forgetReceipt(receipt);
        op.fail(error, true);
        return false;
      }
    }
    const entry = outbox.push({
      frame: out.frame,
      bytes,
      text: how.text,
      lengthless: how.lengthless,
      version: connection?.version,
      epoch: how.epoch,
      accept: how.confirmed || how.whenWritten === true
        ? undefined
        : () => op.resolve(how.value),
      // A frame left behind by a lost or closed connection fails with it
      // (reported once, as the connection); any other reason is its own,
      // reported even if the operation was accepted already.
      fail: (error) => {
        const own = !(error instanceof StompConnectionError);
        if (op.done) {
          if (own) client.report(error);
        } else op.fail(error, own);
      },
      skip: how.skip,
      written: (epoch) => {
        if (receipt !== undefined) this.#receipts.written(receipt, epoch);
        if (how.confirmed) op.advance("receipt");
        how.written?.(epoch);
        if (how.whenWritten === true) op.resolve(how.value);
      },
    });
    if (receipt !== undefined) {
      this.#receipts.add(receipt, {
        confirm: how.confirmed
          ? () => {
            subscription?.awaitReceipt(undefined);
            op.resolve(how.value);
          }
          : noop,
        fail: (error, reportIt) => {
          // A restored subscription confirms on the new connection.
          if (
            subscription !== undefined &&
            !(error instanceof StompServerError) &&
            client.reconnects && subscription.active &&
            client.state !== "closed"
          ) return;
          if (how.confirmed) op.fail(error, reportIt);
        },
        subscription: subscription?.id,
        epoch: undefined,
      });
    }
    op.onCancel(() => {
      outbox.cancel(entry);
      if (receipt !== undefined) {
        this.#receipts.take(receipt);
        this.#session.forgetReceipt(receipt);
      }
      how.cancelled?.();
    });
    if (client.ready) client.connection?.kick();
    return true;
  }
}
