// The benchmarks' command-line flags.

/** The value of `--name=value` among the arguments, if given. */
export function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}
