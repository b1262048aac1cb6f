/** Every command of `flight-cluster`, in the order `--help` lists them. */
import type { CommandSpec } from "./command.js";
import { benchCommand } from "./command-bench.js";
import { getCommand } from "./command-get.js";
import { lsCommand } from "./command-ls.js";
import { plannerCommand } from "./command-planner.js";
import { putCommand } from "./command-put.js";
import { rmCommand } from "./command-rm.js";
import { statusCommand } from "./command-status.js";
import { upCommand } from "./command-up.js";
import { workerCommand } from "./command-worker.js";

/** The commands offered by the executable. */
export const COMMANDS: readonly CommandSpec[] = [
  upCommand,
  plannerCommand,
  workerCommand,
  putCommand,
  getCommand,
  lsCommand,
  rmCommand,
  statusCommand,
  benchCommand,
];
