// The work-queue recipe of docs/brokers.md ("A work queue that drains on
// shutdown") run as a user runs it: a `deno run` process against RabbitMQ,
// sent a real SIGTERM in the middle of its jobs. It must exit 0 having
// finished and acknowledged what it held, and every job must be either done
// once or still in the queue: none lost, none done twice.

import { assert, assertEquals } from "@std/assert";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { uniqueQueue, within } from "../_helpers.ts";

const JOBS = 40;

/** The recipe's code block, with its URL and queues from the environment. */
async function recipe(): Promise<string> {
  const doc = await Deno.readTextFile(
    new URL("../../docs/brokers.md", import.meta.url),
  );
  const section = doc.slice(
    doc.indexOf("## A work queue that drains on shutdown"),
  );
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert(code !== undefined, "the recipe's code block");
  return code
    .replace(`"tcp://guest:guest@localhost:61613"`, `Deno.env.get("URL")!`)
    .replaceAll(`"/queue/jobs.done"`, `Deno.env.get("DONE")!`)
    .replaceAll(`"/queue/jobs"`, `Deno.env.get("JOBS")!`);
}

Deno.test("the work-queue recipe of docs/brokers.md drains on a real SIGTERM against RabbitMQ: exit 0, every job done once or left in the queue", async () => {
  const jobs = uniqueQueue("drain-sigterm");
  const done = `${jobs}.done`;
  const url = new URL(BROKERS.rabbitmqTcp);
  url.username = url.password = "guest";
  await using producer = await connectTo(BROKERS.rabbitmqTcp);
  const results = new Inbox(await producer.subscribe(done));
  for (let i = 0; i < JOBS; i++) producer.send(jobs, `job-${i}`);
  await producer.send(jobs, "last", { receipt: true });

  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/worker.ts`;
    await Deno.writeTextFile(script, await recipe());
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--import-map=tests/offline/import_map.json",
        "--allow-net",
        "--allow-env",
        script,
      ],
      cwd: new URL("../../", import.meta.url).pathname,
      env: { NO_COLOR: "1", URL: url.href, JOBS: jobs, DONE: done },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();

    // Some jobs done (each takes the worker 100 ms), then SIGTERM.
    const seen: string[] = [];
    const deadline = Date.now() + 15_000;
    while (seen.length < 3) {
      assert(Date.now() < deadline, `${seen.length} jobs done within 15 s`);
      const message = await results.next(200);
      if (message !== undefined) seen.push(message.text);
    }
    child.kill("SIGTERM");
    const { code, stderr } = await within(output, 25_000, "the worker's exit");
    assertEquals(code, 0, new TextDecoder().decode(stderr));

    // What the worker finished, and what is left in the queue.
    for (;;) {
      const message = await results.next(300);
      if (message === undefined) break;
      seen.push(message.text);
    }
    const left: string[] = [];
    const rest = new Inbox(await producer.subscribe(jobs));
    for (;;) {
      const message = await rest.next(500);
      if (message === undefined) break;
      left.push(message.text);
    }
    const all = [...seen, ...left];
    assertEquals(new Set(seen).size, seen.length, "a job done twice");
    assertEquals(
      all.toSorted(),
      [...Array.from({ length: JOBS }, (_, i) => `job-${i}`), "last"]
        .toSorted(),
      `done ${seen.length}, left ${left.length}`,
    );
    // Drained mid-stream: the worker stopped with jobs left for others.
    assert(left.length > 0, `the worker did all ${seen.length} jobs`);
    console.log(`done ${seen.length} jobs, left ${left.length} in the queue`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
