/** `flight-cluster ls <planner-uri> [dataset]`: list datasets, or describe one. */
import { CLIENT_OPTIONS, clientFlags, JSON_OPTION } from "./client-options.js";
import { renderDatasets, renderDescribe } from "./cluster-views.js";
import type { CommandSpec } from "./command.js";
import { datasetArgument } from "./dataset-argument.js";
import { withPlannerSession } from "./planner-session.js";

/** Command `ls`: list datasets or describe one; throws CliError/FlightError. */
export const lsCommand: CommandSpec = {
  name: "ls",
  summary: "list datasets, or show one dataset's shards and replicas",
  positionals: [
    { name: "planner-uri", description: "the planner, e.g. grpc+tcp://localhost:8815" },
    { name: "dataset", description: "describe this dataset instead of listing all", optional: true },
  ],
  options: { ...CLIENT_OPTIONS, ...JSON_OPTION },
  examples: ["ls grpc+tcp://localhost:8815", "ls grpc+tcp://localhost:8815 demo/sales --json"],
  async run(args, { io, signal }) {
    const uri = args.uriPositional(0, "planner-uri");
    const dataset = args.optionalPositional(1) === undefined ? undefined : datasetArgument(args, 1);
    const flags = clientFlags(args);
    const answer = await withPlannerSession(uri, { ...flags, signal }, (session) =>
      dataset === undefined ? session.jsonAction("list_datasets") : session.jsonAction("describe", dataset),
    );
    if (args.flag("json")) io.stdout.write(`${JSON.stringify(answer)}\n`);
    else io.stdout.write(dataset === undefined ? renderDatasets(answer) : renderDescribe(answer));
  },
};
