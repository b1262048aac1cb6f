/** `flight-cluster rm <planner-uri> <dataset>`: drop a dataset (every version); replicas delete their files. */
import { CLIENT_OPTIONS, clientFlags, JSON_OPTION } from "./client-options.js";
import type { CommandSpec } from "./command.js";
import { datasetArgument } from "./dataset-argument.js";
import { withPlannerSession } from "./planner-session.js";

/** Command `rm`: drop a dataset; throws FlightError NOT_FOUND for an unknown dataset. */
export const rmCommand: CommandSpec = {
  name: "rm",
  summary: "drop a dataset (all its versions); workers delete the shard files",
  positionals: [
    { name: "planner-uri", description: "the planner, e.g. grpc+tcp://localhost:8815" },
    { name: "dataset", description: "the dataset to drop" },
  ],
  options: { ...CLIENT_OPTIONS, ...JSON_OPTION },
  examples: ["rm grpc+tcp://localhost:8815 demo/sales"],
  async run(args, { io, signal }) {
    const uri = args.uriPositional(0, "planner-uri");
    const dataset = datasetArgument(args, 1);
    const flags = clientFlags(args);
    const answer = await withPlannerSession(uri, { ...flags, signal }, (session) =>
      session.jsonAction("drop", dataset),
    );
    if (args.flag("json")) {
      io.stdout.write(`${JSON.stringify(answer)}\n`);
      return;
    }
    const versions =
      typeof answer === "object" && answer !== null && Array.isArray((answer as Record<string, unknown>)["versions"])
        ? ` (versions ${((answer as Record<string, unknown>)["versions"] as unknown[]).join(", ")})`
        : "";
    io.stdout.write(`dropped ${dataset}${versions}\n`);
  },
};
