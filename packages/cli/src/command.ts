/**
 * The shape of a command and its parsed arguments.
 *
 * Every command declares its positionals and flags once (with descriptions), and
 * the same declaration drives parsing (node:util `parseArgs`, strict), validation of
 * the positional count, and `--help`.
 */
import { parseArgs } from "node:util";
import { usageError } from "./cli-error.js";
import {
  parseByteSize,
  parseDurationMs,
  parseFlightUri,
  parseInteger,
  parseList,
  parsePort,
  type ValueSource,
} from "./option-values.js";

/** One flag of a command. */
export interface OptionSpec {
  /** `string` flags take a value (`--port 8815` or `--port=8815`); `boolean` flags take none. */
  readonly type: "string" | "boolean";
  /** One-letter alias (`-h`). */
  readonly short?: string;
  /** Placeholder for the value in `--help` (`PORT`, `URL`). */
  readonly value?: string;
  /** One line of help. */
  readonly description: string;
  /** Default shown in `--help` (applied by the command, not the parser). */
  readonly defaultText?: string;
}

/** One positional argument of a command. */
export interface PositionalSpec {
  /** Name shown in usage and errors (`planner-uri`). */
  readonly name: string;
  /** One line of help. */
  readonly description: string;
  /** Optional positionals come after the required ones. */
  readonly optional?: boolean;
}

/** Where a command writes and what it may read from its environment. */
export interface CliIo {
  /** Results (tables, JSON, ready lines). */
  readonly stdout: NodeJS.WritableStream;
  /** Errors, progress and logs. `isTTY` selects the progress bar. */
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };
  /** Environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
}

/** What a running command gets besides its arguments. */
export interface CommandContext {
  readonly io: CliIo;
  /**
   * Aborted on the first SIGINT/SIGTERM: client commands stop, servers drain and exit 0.
   */
  readonly signal: AbortSignal;
  /** `--verbose`: stacks on errors and debug logs. */
  readonly verbose: boolean;
}

/** A command of `flight-cluster`. */
export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Paragraph(s) shown by `--help` after the usage line. */
  readonly description?: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Example invocations for `--help` (without the leading `flight-cluster`). */
  readonly examples?: readonly string[];
  /**
   * Run the command. Resolves when it is done (servers: after draining).
   * @throws CliError or FlightError: printed as one line by `runCli`.
   */
  run(args: ParsedArgs, context: CommandContext): Promise<void>;
}

/** Flags every command accepts. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: "boolean", short: "h", description: "show this help and exit" },
  verbose: { type: "boolean", description: "print stack traces with errors, and debug logs" },
};

/** The parsed command line of one command, with typed, validating accessors. */
export class ParsedArgs {
  readonly command: string;
  readonly positionals: readonly string[];
  readonly #values: Readonly<Record<string, string | boolean | undefined>>;

  constructor(command: string, values: Readonly<Record<string, string | boolean | undefined>>, positionals: string[]) {
    this.command = command;
    this.#values = values;
    this.positionals = positionals;
  }

  #source(name: string): ValueSource {
    return { command: this.command, name: `--${name}` };
  }

  /** The positional at `index`; required positionals were checked by the parser. */
  positional(index: number): string {
    const value = this.positionals[index];
    if (value === undefined) throw usageError(`missing argument ${index + 1}`, this.command);
    return value;
  }

  /** The optional positional at `index`, or undefined. */
  optionalPositional(index: number): string | undefined {
    return this.positionals[index];
  }

  /** The positional at `index` as a Flight URI (see {@link parseFlightUri}). */
  uriPositional(index: number, name: string): string {
    return parseFlightUri(this.positional(index), { command: this.command, name: `<${name}>` });
  }

  /** A string flag's value, or undefined when absent. An empty value is a usage error. */
  string(name: string): string | undefined {
    const value = this.#values[name];
    if (typeof value !== "string") return undefined;
    if (value.trim().length === 0) throw usageError(`--${name} needs a non-empty value`, this.command);
    return value;
  }

  /** A boolean flag: true when given. */
  flag(name: string): boolean {
    return this.#values[name] === true;
  }

  /** An integer flag in `[min, max]`, or `fallback`. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.string(name);
    return value === undefined ? fallback : parseInteger(value, this.#source(name), min, max);
  }

  /** A port flag, or `fallback`. */
  port(name: string, fallback: number): number {
    const value = this.string(name);
    return value === undefined ? fallback : parsePort(value, this.#source(name));
  }

  /** A byte-size flag (`64MiB`), or `fallback`. */
  bytes(name: string, fallback: number, min: number, max: number): number {
    const value = this.string(name);
    return value === undefined ? fallback : parseByteSize(value, this.#source(name), min, max);
  }

  /** A duration flag in ms (`15` seconds, `3s`, `500ms`), or `fallback`. */
  durationMs(name: string, fallback: number, minMs: number, maxMs: number): number {
    const value = this.string(name);
    return value === undefined ? fallback : parseDurationMs(value, this.#source(name), minMs, maxMs);
  }

  /** A comma-separated list flag, or undefined. */
  list(name: string): string[] | undefined {
    const value = this.string(name);
    return value === undefined ? undefined : parseList(value, this.#source(name));
  }

  /** A Flight URI flag, or undefined. */
  uri(name: string): string | undefined {
    const value = this.string(name);
    return value === undefined ? undefined : parseFlightUri(value, this.#source(name));
  }
}

/**
 * Parse `argv` (the arguments after the command name) against a command's spec.
 * @throws CliError CLI_USAGE for unknown flags, missing flag values, values given to
 *   boolean flags, and too few or too many positionals.
 */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const options = { ...COMMON_OPTIONS, ...spec.options };
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, option] of Object.entries(options)) {
    config[name] = option.short === undefined ? { type: option.type } : { type: option.type, short: option.short };
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (error) {
    throw usageError(rewordParseError(error, options), spec.name);
  }
  const args = new ParsedArgs(spec.name, parsed.values, parsed.positionals);
  if (args.flag("help")) return args;
  const required = spec.positionals.filter((p) => p.optional !== true);
  if (parsed.positionals.length < required.length) {
    const missing = required.slice(parsed.positionals.length).map((p) => `<${p.name}>`);
    throw usageError(`missing ${missing.join(" ")}`, spec.name);
  }
  if (parsed.positionals.length > spec.positionals.length) {
    const extra = parsed.positionals[spec.positionals.length] ?? "";
    throw usageError(`unexpected argument ${JSON.stringify(extra)}`, spec.name);
  }
  return args;
}

function rewordParseError(error: unknown, options: Readonly<Record<string, OptionSpec>>): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'(-[^' ]+)/.exec(message)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const name = quoted.replace(/^-+/, "").split("=")[0] ?? "";
      const close = Object.keys(options).find((candidate) => name.length > 1 && editDistance(candidate, name) <= 2);
      return `unknown option '${quoted}'${close === undefined ? "" : ` (did you mean --${close}?)`}`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return message.includes("argument missing")
        ? `option '${quoted}' needs a value`
        : message.includes("does not take an argument")
          ? `option '${quoted}' takes no value`
          : (message.split("\n")[0] ?? message);
    default:
      return message.split("\n")[0] ?? message;
  }
}

/** Levenshtein distance (small strings only: flag names). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
