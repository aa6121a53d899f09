// Parses the GitHub Actions workflows and checks the keys CI and publishing
// depend on, so a broken indent fails `bash .ci/run` instead of the next push.
// jsr.io may be out of reach, hence npm's yaml rather than @std/yaml.
//
// deno run --allow-read=.github --allow-env=LOG_TOKENS,LOG_STREAM tests/ci/check_workflows.ts

import { parse } from "npm:yaml@2";

/** A value as the YAML parser returns it. */
type Yaml = unknown;

function field(value: Yaml, key: string, where: string): Yaml {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected a mapping: ${where}`);
  }
  if (!(key in value)) {
    throw new TypeError(`Missing key: "${key}" in ${where}`);
  }
  return (value as Record<string, Yaml>)[key];
}

function steps(workflow: Yaml, file: string): Yaml[] {
  const jobs = field(workflow, "jobs", file);
  if (typeof jobs !== "object" || jobs === null) {
    throw new TypeError(`Expected a mapping: jobs in ${file}`);
  }
  return Object.entries(jobs).flatMap(([name, job]) => {
    const list = field(job, "steps", `${file} jobs.${name}`);
    if (!Array.isArray(list)) {
      throw new TypeError(`Expected a list: jobs.${name}.steps in ${file}`);
    }
    return list as Yaml[];
  });
}

function runs(workflow: Yaml, file: string, command: RegExp): void {
  const found = steps(workflow, file).some((step) =>
    typeof step === "object" && step !== null && "run" in step &&
    typeof step.run === "string" && command.test(step.run)
  );
  if (!found) {
    throw new Error(`No step runs the command: ${command.source} in ${file}`);
  }
}

function load(file: string): Yaml {
  const workflow: Yaml = parse(Deno.readTextFileSync(file));
  // Under YAML 1.1 a bare `on` would be a boolean; yaml 2 reads YAML 1.2.
  field(workflow, "on", file);
  return workflow;
}

const ci = ".github/workflows/ci.yml";
runs(load(ci), ci, /(^|\s)bash \.ci\/run\b/);

const publish = ".github/workflows/publish.yml";
const release = load(publish);
// The permissions may sit on the workflow or on its jobs.
const jobs = Object.values(field(release, "jobs", publish) as object);
const idToken = [release, ...jobs].some((scope) =>
  typeof scope === "object" && scope !== null && "permissions" in scope &&
  typeof scope.permissions === "object" && scope.permissions !== null &&
  "id-token" in scope.permissions && scope.permissions["id-token"] === "write"
);
if (!idToken) {
  throw new Error(`Missing permission: "id-token: write" in ${publish}`);
}
runs(release, publish, /(^|\s)deno publish\b/);

console.log(`ok: ${ci} and ${publish}`);
