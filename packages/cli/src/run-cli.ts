/**
 * `runCli`: dispatch a command line to its command, print errors as one line, and
 * return the exit code. It never throws and never lets a stack trace reach the user
 * unless `--verbose` is given.
 */
import { describeError, EXIT_USAGE, exitCodeOf, usageError } from "./cli-error.js";
import { type CliIo, type CommandSpec, parseCommandLine } from "./command.js";
import { formatCommandHelp, formatProgramHelp, PROGRAM } from "./help-text.js";

/** Exit code of a client command stopped by SIGINT/SIGTERM (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** The package version printed by `--version`. */
export const CLI_VERSION = "0.1.0";

/**
 * Run one command line.
 * @param argv the arguments after the program name (`["put", "grpc+tcp://…", "sales", "x.arrow"]`).
 * @param io where output goes.
 * @param signal aborted on SIGINT/SIGTERM: commands stop (servers drain) and return.
 * @param commands the commands offered.
 * @returns the process exit code: 0 success, 1 run-time failure, 2 usage error, 130 when a
 *   command failed because `signal` aborted it (servers drain and return 0 instead).
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  signal: AbortSignal,
  commands: readonly CommandSpec[],
): Promise<number> {
  const verbose = argv.includes("--verbose");
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(formatProgramHelp(commands));
    return EXIT_USAGE;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    const spec = topic === undefined ? undefined : commands.find((c) => c.name === topic);
    io.stdout.write(spec === undefined ? formatProgramHelp(commands) : formatCommandHelp(spec));
    return 0;
  }
  if (name === "--version" || name === "-V") {
    io.stdout.write(`${PROGRAM} ${CLI_VERSION}\n`);
    return 0;
  }
  try {
    const spec = commands.find((c) => c.name === name);
    if (spec === undefined) {
      const what = name.startsWith("-")
        ? `expected a command before option ${JSON.stringify(name)}`
        : `unknown command ${JSON.stringify(name)}`;
      throw usageError(`${what}; commands: ${commands.map((c) => c.name).join(", ")}`);
    }
    const args = parseCommandLine(spec, rest);
    if (args.flag("help")) {
      io.stdout.write(formatCommandHelp(spec));
      return 0;
    }
    await spec.run(args, { io, signal, verbose });
    return 0;
  } catch (error) {
    if (signal.aborted) {
      // Interrupted (SIGINT/SIGTERM): whatever failed afterwards is a consequence, not the cause.
      io.stderr.write(`${PROGRAM}: interrupted\n`);
      return EXIT_INTERRUPTED;
    }
    io.stderr.write(`${PROGRAM}: ${describeError(error)}\n`);
    if (verbose && error instanceof Error && error.stack !== undefined) {
      io.stderr.write(`${error.stack}\n`);
      if (error.cause instanceof Error && error.cause.stack !== undefined)
        io.stderr.write(`cause: ${error.cause.stack}\n`);
    }
    return exitCodeOf(error);
  }
}
