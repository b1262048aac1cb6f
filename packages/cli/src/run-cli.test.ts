import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CliError } from "./cli-error.js";
import type { CliIo, CommandSpec } from "./command.js";
import { runCli } from "./run-cli.js";

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const stdout = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  });
  const stderr = new Writable({
    write(chunk, _enc, done) {
      err += String(chunk);
      done();
    },
  });
  return { io: { stdout, stderr, env: {}, cwd: "/" }, out: () => out, err: () => err };
}

const seen: unknown[] = [];
const echo: CommandSpec = {
  name: "echo",
  summary: "echo its arguments",
  positionals: [
    { name: "first", description: "required" },
    { name: "second", description: "optional", optional: true },
  ],
  options: {
    port: { type: "string", value: "PORT", description: "a port", defaultText: "8815" },
    json: { type: "boolean", description: "json" },
  },
  async run(args, { io }) {
    const port = args.port("port", 8815);
    seen.push({ positionals: args.positionals, port, json: args.flag("json") });
    io.stdout.write("ok\n");
  },
};
const failing: CommandSpec = {
  name: "fail",
  summary: "fails at run time",
  positionals: [],
  options: {},
  async run() {
    throw new Error("disk on fire\n    at somewhere (file.js:1:1)");
  },
};
const runtime: CommandSpec = {
  name: "runtime",
  summary: "fails with a CliError",
  positionals: [],
  options: {},
  async run() {
    throw new CliError("CLI_UNREACHABLE", "cannot reach grpc+tcp://127.0.0.1:1: connection refused");
  },
};
const waiting: CommandSpec = {
  name: "wait",
  summary: "waits for the signal, then fails",
  positionals: [],
  options: {},
  async run(_args, { signal }) {
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    signal.throwIfAborted();
  },
};
const commands = [echo, failing, runtime, waiting];
const signal = new AbortController().signal;

describe("runCli", () => {
  it("runs a command with parsed flags and positionals", async () => {
    const c = capture();
    seen.length = 0;
    expect(await runCli(["echo", "a", "--port", "0", "--json"], c.io, signal, commands)).toBe(0);
    expect(seen).toEqual([{ positionals: ["a"], port: 0, json: true }]);
    expect(c.out()).toBe("ok\n");
    expect(c.err()).toBe("");
  });

  it.each([
    [["nope"], 'unknown command "nope"; commands: echo, fail, runtime, wait'],
    [["--port", "1"], 'expected a command before option "--port"'],
    [["echo"], "missing <first>"],
    [["echo", "a", "b", "c"], 'unexpected argument "c"'],
    [["echo", "a", "--bogus"], "unknown option '--bogus'"],
    [["echo", "a", "--prot", "1"], "(did you mean --port?)"],
    [["echo", "a", "--port"], "option '--port' needs a value"],
    [["echo", "a", "--json=yes"], "option '--json' takes no value"],
    [["echo", "a", "--port", "99999"], '--port "99999" is not an integer from 0 to 65535'],
  ])("usage error %j: one line, exit 2", async (argv, fragment) => {
    const c = capture();
    expect(await runCli(argv, c.io, signal, commands)).toBe(2);
    const lines = c.err().split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^flight-cluster: /);
    expect(lines[0]).toContain(fragment);
    expect(c.out()).toBe("");
  });

  it("prints run-time failures as one line without a stack, exit 1", async () => {
    const c = capture();
    expect(await runCli(["fail"], c.io, signal, commands)).toBe(1);
    expect(c.err()).toBe("flight-cluster: disk on fire at somewhere (file.js:1:1)\n");
    const d = capture();
    expect(await runCli(["runtime"], d.io, signal, commands)).toBe(1);
    expect(d.err()).toBe("flight-cluster: cannot reach grpc+tcp://127.0.0.1:1: connection refused\n");
  });

  it("adds the stack only with --verbose", async () => {
    const c = capture();
    expect(await runCli(["runtime", "--verbose"], c.io, signal, commands)).toBe(1);
    expect(c.err().split("\n")[0]).toBe("flight-cluster: cannot reach grpc+tcp://127.0.0.1:1: connection refused");
    expect(c.err()).toContain("at ");
  });

  it("reports an interrupted command as such, exit 130", async () => {
    const c = capture();
    const controller = new AbortController();
    const running = runCli(["wait"], c.io, controller.signal, commands);
    controller.abort(new Error("received SIGINT"));
    expect(await running).toBe(130);
    expect(c.err()).toBe("flight-cluster: interrupted\n");
  });

  it("prints help for the program and for each command", async () => {
    const c = capture();
    expect(await runCli(["--help"], c.io, signal, commands)).toBe(0);
    expect(c.out()).toContain("Usage: flight-cluster <command>");
    expect(c.out()).toContain("echo     echo its arguments");
    const d = capture();
    expect(await runCli(["echo", "--help"], d.io, signal, commands)).toBe(0);
    expect(d.out()).toContain("Usage: flight-cluster echo <first> [second] [options]");
    expect(d.out()).toContain("--port PORT  a port (default 8815)");
    expect(d.out()).toContain("-h, --help");
    const e = capture();
    expect(await runCli([], e.io, signal, commands)).toBe(2);
    expect(e.err()).toContain("Commands:");
  });
});
