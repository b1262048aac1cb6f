/** `flight-cluster status <planner-uri>`: workers, zones, datasets, under-replicated shards. */
import { CLIENT_OPTIONS, clientFlags, JSON_OPTION } from "./client-options.js";
import { renderStatus } from "./cluster-views.js";
import type { CommandSpec } from "./command.js";
import { withPlannerSession } from "./planner-session.js";

export const statusCommand: CommandSpec = {
  name: "status",
  summary: "show workers (zone, load, shards held), datasets with replicas, and under-replicated shards",
  positionals: [{ name: "planner-uri", description: "the planner, e.g. grpc+tcp://localhost:8815" }],
  options: { ...CLIENT_OPTIONS, ...JSON_OPTION },
  examples: ["status grpc+tcp://localhost:8815", "status grpc+tcp://localhost:8815 --json"],
  async run(args, { io, signal }) {
    const uri = args.uriPositional(0, "planner-uri");
    const flags = clientFlags(args);
    const answer = await withPlannerSession(uri, { ...flags, signal }, (session) => session.jsonAction("status"));
    io.stdout.write(args.flag("json") ? `${JSON.stringify(answer)}\n` : renderStatus(answer));
  },
};
