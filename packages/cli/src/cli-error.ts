/**
 * The command line's own errors and the one-line rendering of any error.
 *
 * A command fails by throwing. `runCli` catches, prints `flight-cluster: <message>`
 * on one line (the stack only with `--verbose`) and exits with {@link CliError.exitCode}:
 * 2 for usage errors (bad flags, missing arguments), 1 for everything that went wrong
 * at run time (unreachable servers, unknown datasets, unreadable files).
 */
import { FlightError, StatusCode, statusCodeName } from "@flight-cluster/protocol";
import { escapeControlCharacters } from "./control-characters.js";

/** Exit code of a usage error (bad flags, missing or malformed arguments). */
export const EXIT_USAGE = 2;
/** Exit code of a run-time failure. */
export const EXIT_FAILURE = 1;

/** Stable codes of the command line's errors (listed in docs/errors.md). */
export const CliErrorCodes = {
  /** An unknown command, an unknown flag, a missing or malformed argument. */
  CLI_USAGE: EXIT_USAGE,
  /** An input file cannot be read or is not Arrow IPC, Feather v2 or Parquet. */
  CLI_BAD_INPUT_FILE: EXIT_FAILURE,
  /** An output file cannot be written. */
  CLI_OUTPUT_FAILED: EXIT_FAILURE,
  /** A planner or worker cannot be reached. */
  CLI_UNREACHABLE: EXIT_FAILURE,
  /** A server answered something the command cannot interpret. */
  CLI_BAD_RESPONSE: EXIT_FAILURE,
  /** A process (planner, worker, local cluster) could not start. */
  CLI_START_FAILED: EXIT_FAILURE,
} as const;

/** One of {@link CliErrorCodes}' keys. */
export type CliErrorCode = keyof typeof CliErrorCodes;

/** An error of the command line, with a stable `code` and the exit code it ends the process with. */
export class CliError extends Error {
  /** Stable error code (docs/errors.md). */
  readonly code: CliErrorCode;
  /** Process exit code: {@link EXIT_USAGE} or {@link EXIT_FAILURE}. */
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = CliErrorCodes[code];
  }

  override get name(): string {
    return "CliError";
  }
}

/** A usage error: exit code 2. `command` names the command whose `--help` explains the fix. */
export function usageError(message: string, command?: string): CliError {
  const hint = command === undefined ? "flight-cluster --help" : `flight-cluster ${command} --help`;
  return new CliError("CLI_USAGE", `${message} (see '${hint}')`);
}

/** The exit code an error ends the process with. */
export function exitCodeOf(error: unknown): number {
  return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
}

/**
 * Render any error as one line without a trailing newline (control characters escaped,
 * so a server's message cannot forge extra lines).
 */
export function describeError(error: unknown): string {
  let text: string;
  if (error instanceof FlightError) {
    text = describeFlightError(error);
  } else if (error instanceof Error) {
    const errno = error instanceof CliError ? undefined : (error as NodeJS.ErrnoException).code;
    const isErrno = typeof errno === "string" && /^E[A-Z]+$/.test(errno);
    text = isErrno && !error.message.includes(errno) ? `${error.message} (${errno})` : error.message;
  } else {
    text = String(error);
  }
  return oneLine(text);
}

function describeFlightError(error: FlightError): string {
  const message = error.rawMessage.length > 0 ? error.rawMessage : "(no message)";
  if (error.code === StatusCode.UNAVAILABLE) return `unavailable: ${message}`;
  if (error.code === StatusCode.DEADLINE_EXCEEDED) return `timed out: ${message}`;
  return `${message} [${statusCodeName(error.code)}]`;
}

/** Collapse whitespace runs containing line breaks and escape other control characters. */
export function oneLine(text: string): string {
  return escapeControlCharacters(text.replace(/\s*[\r\n]+\s*/g, " ").trim());
}
