/** The `<dataset>` argument: checked with the planner's own naming rules before anything is sent. */
import { PlannerError, validateDatasetName } from "@flight-cluster/planner";
import { usageError } from "./cli-error.js";
import type { ParsedArgs } from "./command.js";

/**
 * The dataset name at positional `index`.
 * @throws CliError CLI_USAGE (exit 2) naming the broken rule (`..` segments, control characters, ...).
 */
export function datasetArgument(args: ParsedArgs, index: number): string {
  const name = args.positional(index);
  try {
    return validateDatasetName(name);
  } catch (error) {
    if (error instanceof PlannerError) throw usageError(error.rawMessage, args.command);
    throw error;
  }
}
