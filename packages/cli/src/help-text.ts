/** `--help` text, generated from the command specs so it never drifts from the parser. */
import { COMMON_OPTIONS, type CommandSpec, type OptionSpec } from "./command.js";

/** The program name in usage lines. */
export const PROGRAM = "flight-cluster";

function optionLabel(name: string, option: OptionSpec): string {
  const long = option.type === "string" ? `--${name} ${option.value ?? "VALUE"}` : `--${name}`;
  return option.short === undefined ? `    ${long}` : `-${option.short}, ${long}`;
}

function columns(rows: ReadonlyArray<readonly [string, string]>, indent = "  "): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}  ${right}`.trimEnd());
}

/** The usage line of a command: `flight-cluster put <planner-uri> <dataset> <file> [options]`. */
export function usageLine(spec: CommandSpec): string {
  const positionals = spec.positionals.map((p) => (p.optional === true ? `[${p.name}]` : `<${p.name}>`));
  return [PROGRAM, spec.name, ...positionals, "[options]"].join(" ");
}

/** Full help of one command. */
export function formatCommandHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${usageLine(spec)}`, "", spec.summary];
  if (spec.description !== undefined) lines.push("", spec.description);
  if (spec.positionals.length > 0) {
    lines.push("", "Arguments:");
    lines.push(...columns(spec.positionals.map((p) => [p.name, p.description] as const)));
  }
  const options = { ...spec.options, ...COMMON_OPTIONS };
  lines.push("", "Options:");
  lines.push(
    ...columns(
      Object.entries(options).map(([name, option]) => {
        const text =
          option.defaultText === undefined
            ? option.description
            : `${option.description} (default ${option.defaultText})`;
        return [optionLabel(name, option), text] as const;
      }),
    ),
  );
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push("", "Examples:");
    lines.push(...spec.examples.map((example) => `  ${PROGRAM} ${example}`));
  }
  return `${lines.join("\n")}\n`;
}

/** The top-level help: every command with its summary. */
export function formatProgramHelp(specs: readonly CommandSpec[]): string {
  const lines = [
    `Usage: ${PROGRAM} <command> [arguments] [options]`,
    "",
    "A horizontally scaled Apache Arrow Flight service: a planner, workers in zones, a registry.",
    "",
    "Commands:",
    ...columns(specs.map((spec) => [spec.name, spec.summary] as const)),
    "",
    `Run '${PROGRAM} <command> --help' for a command's arguments and options.`,
    "Errors print one line and exit with 2 (usage) or 1 (run time); add --verbose for stack traces.",
  ];
  return `${lines.join("\n")}\n`;
}
