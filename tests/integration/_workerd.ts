// workerd for the integration tests: the Worker of workerd/worker.ts bundled
// with `deno bundle`, served by workerd (installed from npm on first use, see
// _npm_runtime.ts) from a capnp config in a temporary directory, on
// 127.0.0.1 only.

import { importMapArgs } from "./_bundle.ts";
import { installRuntime, WORKERD } from "./_npm_runtime.ts";

const ROOT = new URL("../../", import.meta.url);

/** One Worker service: its compatibility date and flags. */
export interface WorkerService {
  /** The service's name, also its key in {@linkcode Workerd.urls}. */
  name: string;
  compatibilityDate: string;
  compatibilityFlags?: string[];
}

/** A running workerd. */
export interface Workerd extends AsyncDisposable {
  /** Each service's base URL, by name. */
  readonly urls: Readonly<Record<string, string>>;
  /** What workerd printed so far, for failure messages. */
  output(): string;
}

/** A port free on 127.0.0.1 a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

async function bundleWorker(outFile: string): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      ...importMapArgs(),
      "--platform=browser",
      "--format=esm",
      `--output=${outFile}`,
      new URL("tests/integration/workerd/worker.ts", ROOT).pathname,
    ],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    const decoder = new TextDecoder();
    throw new Error(
      `deno bundle of the Worker failed (exit ${code}):\n${
        decoder.decode(stdout)
      }${decoder.decode(stderr)}`,
    );
  }
}

/** The capnp config: every service runs the same Worker module. */
function config(services: WorkerService[], ports: number[]): string {
  const workers = services.map((service, i) => `
const worker${i} :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = ${JSON.stringify(service.compatibilityDate)},
  compatibilityFlags = ${JSON.stringify(service.compatibilityFlags ?? [])},
  globalOutbound = "net",
  durableObjectNamespaces = [
    (className = "Holder", uniqueKey = "stomper-holder-${service.name}"),
  ],
  durableObjectStorage = (inMemory = void),
  bindings = [(name = "HOLDER", durableObjectNamespace = "Holder")],
);`).join("\n");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
${
    services.map((service, i) =>
      `    (name = ${JSON.stringify(service.name)}, worker = .worker${i}),`
    ).join("\n")
  }
    # Private and loopback addresses are refused unless allowed; the test
    # certificate authority is trusted for tls: URLs.
    (name = "net", network = (
      allow = ["public", "private", "local"],
      tlsOptions = (trustedCertificates = [embed "ca.pem"]),
    )),
  ],
  sockets = [
${
    services.map((service, i) =>
      `    (name = ${JSON.stringify(service.name)}, address = "127.0.0.1:${
        ports[i]
      }", http = (), service = ${JSON.stringify(service.name)}),`
    ).join("\n")
  }
  ],
);
${workers}
`;
}

/**
 * Bundles the Worker and serves it under workerd, one socket per service,
 * once every service answers.
 *
 * @param services The Worker services to run.
 * @param caPem The certificate authority workerd trusts for TLS.
 */
export async function startWorkerd(
  services: WorkerService[],
  caPem: string,
): Promise<Workerd> {
  const binary = await installRuntime(WORKERD);
  const dir = await Deno.makeTempDir({ prefix: "stomper-workerd-" });
  let child: Deno.ChildProcess | undefined;
  try {
    await bundleWorker(`${dir}/worker.js`);
    await Deno.writeTextFile(`${dir}/ca.pem`, caPem);
    const ports = services.map(() => freePort());
    await Deno.writeTextFile(`${dir}/config.capnp`, config(services, ports));
    child = new Deno.Command(binary, {
      args: ["serve", `${dir}/config.capnp`],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let output = "";
    const decoder = new TextDecoder();
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        output += decoder.decode(chunk, { stream: true });
      }
    };
    const collecting = Promise.all([
      collect(child.stdout),
      collect(child.stderr),
    ]);
    const urls = Object.fromEntries(
      services.map((service, i) => [
        service.name,
        `http://127.0.0.1:${ports[i]}`,
      ]),
    );
    const running = child;
    const deadline = Date.now() + 20_000;
    for (const url of Object.values(urls)) {
      while (true) {
        try {
          await (await fetch(`${url}/runtime`)).body?.cancel();
          break;
        } catch {
          if (Date.now() > deadline) {
            throw new Error(
              `workerd did not answer on ${url} within 20 s:\n${output}`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
    return {
      urls,
      output: () => output,
      async [Symbol.asyncDispose]() {
        running.kill("SIGTERM");
        await running.status;
        await collecting;
        await Deno.remove(dir, { recursive: true });
      },
    };
  } catch (error) {
    if (child !== undefined) {
      child.kill("SIGKILL");
      await child.status;
    }
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}
