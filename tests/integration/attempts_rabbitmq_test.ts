// StompClient's beforeConnect hook against RabbitMQ 3.10 (scripts/brokers.sh):
// a user and virtual host of its own, added with rabbitmqctl, whose password
// changes while the client is connected; only that virtual host's connections
// are then closed, so the reconnection can only succeed with the password the
// hook hands out anew.

import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertInstanceOf,
  assertMatch,
  assertRejects,
} from "@std/assert";
import {
  type ConnectAttempt,
  StompClient,
  StompConnectionError,
  StompServerError,
  type StompStateChange,
} from "@stomper/stomp/client";
import { BROKERS, Inbox } from "./_client.ts";
import { eventually, uniqueQueue } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const };
const RECONNECT = { initialDelay: 100, maxDelay: 500, jitter: 0, retries: 20 };

/** Runs `rabbitmqctl -q <args>` against the main node; returns its stdout. */
async function rabbitmqctl(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("rabbitmqctl", {
    args: ["-q", ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30000),
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    throw new Error(
      `rabbitmqctl ${args[0]} failed (${code}): ${decoder.decode(stderr)}`,
    );
  }
  return decoder.decode(stdout);
}

/** A RabbitMQ user and virtual host of its own. */
interface Tenant {
  readonly user: string;
  readonly vhost: string;
}

/** A user with a random name, allowed everything on a virtual host of its own. */
async function addTenant(password: string): Promise<Tenant> {
  const id = crypto.randomUUID().slice(0, 8);
  const tenant = {
    user: `stomper-attempts-${id}`,
    vhost: `stomper-attempts-${id}`,
  };
  await rabbitmqctl("add_vhost", tenant.vhost);
  await rabbitmqctl("add_user", tenant.user, password);
  await rabbitmqctl(
    "set_permissions",
    "-p",
    tenant.vhost,
    tenant.user,
    ".*",
    ".*",
    ".*",
  );
  return tenant;
}

async function deleteTenant(tenant: Tenant): Promise<void> {
  await rabbitmqctl("delete_user", tenant.user);
  await rabbitmqctl("delete_vhost", tenant.vhost);
}

/**
 * Closes the connections of the tenant's virtual host, and only those (other
 * tests share the broker); returns how many there were. RabbitMQ 3.10 lists
 * STOMP connections in `list_stomp_connections`, not `list_connections`, and
 * neither `close_connection` with their pid nor `close_all_user_connections`
 * closes them: `close_all_connections -p` does.
 */
async function closeConnectionsOf(tenant: Tenant): Promise<number> {
  const out = await rabbitmqctl(
    "close_all_connections",
    "-p",
    tenant.vhost,
    "stomper test: closed on purpose",
  );
  const count = /Closed (\d+) connections/.exec(out)?.[1];
  if (count === undefined) {
    throw new Error(`Unexpected rabbitmqctl output: ${JSON.stringify(out)}`);
  }
  return Number(count);
}

/** What a test keeps of an attempt. */
interface Seen {
  number: number;
  reconnecting: boolean;
  url: string | undefined;
}

function seenOf(attempt: ConnectAttempt): Seen {
  return {
    number: attempt.number,
    reconnecting: attempt.reconnecting,
    url: attempt.url?.href,
  };
}

Deno.test("StompClient beforeConnect with RabbitMQ sees every attempt and a changed passcode is used (user added with rabbitmqctl)", async () => {
  const first = `first-${crypto.randomUUID()}`;
  const second = `second-${crypto.randomUUID()}`;
  const tenant = await addTenant(first);
  try {
    // The hook reads the password at each attempt, as from a token store.
    let password = first;
    const seen: Seen[] = [];
    const failed: Error[] = [];
    const states: StompStateChange[] = [];
    const queue = uniqueQueue("attempts");
    const url = new URL(BROKERS.rabbitmqTcp).href;
    const client = await StompClient.connectUrl(BROKERS.rabbitmqTcp, {
      ...QUIET,
      login: tenant.user,
      host: tenant.vhost,
      connectTimeout: 5000,
      reconnect: { ...RECONNECT, onFailedAttempt: (e) => failed.push(e) },
      onError: () => {},
      onStateChange: (change) => states.push(change),
      beforeConnect: (attempt) => {
        seen.push(seenOf(attempt));
        return { passcode: password };
      },
    });
    try {
      assertEquals(seen, [{ number: 1, reconnecting: false, url }]);
      assertEquals(client.state, "connected");
      assertEquals(client.url?.href, url);
      await client.send(queue, "before", { receipt: true });

      await rabbitmqctl("change_password", tenant.user, second);
      password = second;
      // The open connection outlives the change: only its closing makes the
      // client connect again, and with the password it is given now.
      assertEquals(await closeConnectionsOf(tenant), 1);
      await eventually(
        () => seen.length >= 2 && client.state === "connected",
        10000,
      );
      assertEquals(seen, [
        { number: 1, reconnecting: false, url },
        { number: 2, reconnecting: true, url },
      ]);
      assertEquals(failed, [], "the first reconnection attempt got in");
      assertEquals(
        states.map((change) => [change.state, change.url?.href]),
        [["connected", url], ["reconnecting", url], ["connected", url]],
      );
      await client.send(queue, "after", { receipt: true });
      // Just the one connection, made with the new password.
      assertEquals(await closeConnectionsOf(tenant), 1);
      await eventually(
        () => seen.length >= 3 && client.state === "connected",
        10000,
      );
      assertEquals(seen[2], { number: 3, reconnecting: true, url });

      // Both messages are in the queue: each connection was a real one.
      const inbox = new Inbox(await client.subscribe(queue, { receipt: true }));
      assertEquals(
        (await inbox.take(2)).map((message) => message.text),
        ["before", "after"],
      );
    } finally {
      await client.disconnect().catch(() => {});
    }

    // The old password is refused now: every attempt fails with RabbitMQ's
    // ERROR, and connect() gives up with it as the cause.
    const refused: Error[] = [];
    const oldSeen: Seen[] = [];
    const error = await assertRejects(
      () =>
        StompClient.connectUrl(BROKERS.rabbitmqTcp, {
          ...QUIET,
          login: tenant.user,
          host: tenant.vhost,
          connectTimeout: 5000,
          reconnect: {
            ...RECONNECT,
            retries: 2,
            onFailedAttempt: (e) => refused.push(e),
          },
          onError: () => {},
          beforeConnect: (attempt) => {
            oldSeen.push(seenOf(attempt));
            return { passcode: first };
          },
        }),
      StompConnectionError,
    );
    assertMatch(error.message, /gave up after/);
    assertInstanceOf(error.cause, StompServerError);
    assertMatch(error.cause.message, /Access refused/);
    // Every attempt the hook saw was refused (the first and its retries).
    assertGreaterOrEqual(refused.length, 2);
    assertEquals(refused.length, oldSeen.length);
    for (const each of refused) {
      assertInstanceOf(each, StompServerError);
      assertMatch(each.message, /Access refused/);
      assert(!each.message.includes(first), "no password in the message");
    }
    assert(oldSeen.every((attempt) => !attempt.reconnecting));
  } finally {
    await deleteTenant(tenant);
  }
});
