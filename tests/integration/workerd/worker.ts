// The Worker that tests/integration/workerd_test.ts bundles and runs under
// workerd. Each route runs one check and answers JSON; the test drives it
// with fetch. `Holder` is a Durable Object keeping one client across
// requests; `kept` shows what a plain Worker that tries the same gets.

import * as stomp from "../../../mod.ts";
import { clientScenario, codecRoundTrip } from "../_runtime_scenario.ts";

/** The part of the Durable Object namespace binding used here. */
interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

interface Env {
  HOLDER: DurableObjectNamespace;
}

// Not a literal: the bundler leaves it to workerd.
const SOCKETS_MODULE = "cloudflare:sockets";

interface SocketsModule {
  connect(address: string): stomp.CloudflareSocket & {
    opened: Promise<unknown>;
  };
}

/** An error as "Name: message". */
function failure(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

/** What the promise gave, or how it failed. */
async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    return failure(error);
  }
}

const CLIENT = { login: "guest", passcode: "guest", reconnect: false };

// A client kept in the module's global by one request, used by the next.
let kept: stomp.StompClient | undefined;

async function route(url: URL, env: Env): Promise<unknown> {
  const param = (name: string) => url.searchParams.get(name) ?? "";
  switch (url.pathname) {
    case "/runtime":
      return {
        userAgent: navigator.userAgent,
        node: (globalThis as { process?: { versions?: { node?: string } } })
          .process?.versions?.node ?? null,
      };
    case "/codec":
      return await codecRoundTrip(stomp);
    case "/client": {
      const target = param("url");
      const open = param("open");
      return await clientScenario(stomp, {
        open: open === "connectUrl"
          ? target
          : open === "openTransport"
          ? () => stomp.openTransport(target)
          : async () => {
            // A socket of the Worker's own.
            const { connect } = await import(
              SOCKETS_MODULE
            ) as SocketsModule;
            const socket = connect(new URL(target).host);
            await socket.opened;
            return stomp.fromCloudflareSocket(socket);
          },
        runtime: "workerd",
      });
    }
    case "/open-error":
      return await outcome(
        stomp.openTransport(param("url"), {
          timeout: Number(url.searchParams.get("timeout") ?? 2000),
          ...(url.searchParams.has("ca") ? { caCerts: [param("ca")] } : {}),
        }),
      );
    case "/socket-error":
      // A socket of the Worker's own, wrapped before it opened, as the
      // example of docs/runtimes.md does.
      return await outcome(
        stomp.StompClient.connect(async () => {
          const { connect } = await import(SOCKETS_MODULE) as SocketsModule;
          return stomp.fromCloudflareSocket(connect(param("address")));
        }, { ...CLIENT, connectTimeout: 5000 }).then((client) => {
          client.close();
          return "connected";
        }),
      );
    case "/kept/connect":
      kept = await stomp.StompClient.connectUrl(param("url"), CLIENT);
      return kept.state;
    case "/kept/send":
      return await outcome(
        kept!.send(param("queue"), "from another request", { receipt: true })
          .then(() => "sent"),
      );
    case "/kept/close":
      kept?.close();
      kept = undefined;
      return "closed";
    default:
      if (url.pathname.startsWith("/holder/")) {
        const holder = env.HOLDER.get(env.HOLDER.idFromName("one"));
        return await (await holder.fetch(new Request(url))).json();
      }
      throw new Error(`Cannot route ${url.pathname}`);
  }
}

/** A Durable Object holding one client and one subscription. */
export class Holder {
  #client: stomp.StompClient | undefined;
  #inbox: AsyncIterator<stomp.StompMessage> | undefined;
  #connections = 0;

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const param = (name: string) => url.searchParams.get(name) ?? "";
    return Response.json(
      await outcome((async () => {
        switch (url.pathname) {
          case "/holder/connect": {
            this.#client = await stomp.StompClient.connectUrl(param("url"), {
              ...CLIENT,
              heartBeat: [1000, 1000],
            });
            this.#connections++;
            const subscription = await this.#client.subscribe(param("queue"), {
              ack: "client-individual",
              receipt: true,
            });
            this.#inbox = subscription[Symbol.asyncIterator]();
            return this.#client.state;
          }
          case "/holder/send":
            await this.#client!.send(param("queue"), param("text"), {
              receipt: true,
            });
            return "sent";
          case "/holder/receive": {
            const { value } = await this.#inbox!.next();
            await value!.ack({ receipt: true });
            return value!.text;
          }
          case "/holder/disconnect":
            await this.#client!.disconnect();
            return {
              state: this.#client!.state,
              connections: this.#connections,
              reconnects: this.#client!.stats.reconnects,
            };
          default:
            throw new Error(`Cannot route ${url.pathname}`);
        }
      })()),
    );
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return Response.json(await route(new URL(request.url), env));
    } catch (error) {
      return Response.json({ error: failure(error) }, { status: 500 });
    }
  },
};
