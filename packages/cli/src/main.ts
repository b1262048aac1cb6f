#!/usr/bin/env node
/**
 * The `flight-cluster` executable. Fixes V8's heap growth for a process that streams
 * Arrow data (`useStreamingHeapGrowth`; `node --heap-growing-percent=N` overrides it),
 * wires process signals to an AbortSignal (first SIGINT/SIGTERM: stop or drain; second:
 * exit at once), runs the command line and sets the exit code.
 */
import { useStreamingHeapGrowth } from "@flight-cluster/protocol";
import { COMMANDS } from "./commands.js";
import { runCli } from "./run-cli.js";

useStreamingHeapGrowth();

const controller = new AbortController();
let signals = 0;
const onSignal = (name: NodeJS.Signals): void => {
  signals += 1;
  if (signals === 1) {
    controller.abort(new Error(`received ${name}`));
    return;
  }
  process.stderr.write(`flight-cluster: second ${name}, exiting without draining\n`);
  process.exit(name === "SIGINT" ? 130 : 143);
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
// A closed pipe on stdout (`flight-cluster ls … | head`) is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
});

const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  controller.signal,
  COMMANDS,
);
process.exitCode = code;
// Everything the command needed is finished (servers have drained). Exit once the output is
// flushed rather than waiting for a library's leftover timer or socket to let go.
const flush = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((resolve) => stream.write("", () => resolve()));
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(code);
