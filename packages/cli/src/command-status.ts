/** `flight-cluster status <planner-uri>`: workers, zones, datasets, under-replicated shards. */
import { CLIENT_OPTIONS, clientFlags, JSON_OPTION } from "./client-options.js";
import { recordsOf, renderStatus } from "./cluster-views.js";
import type { CommandSpec } from "./command.js";
import { withPlannerSession } from "./planner-session.js";

/** Command `status`: the cluster's workers, zones, datasets and under-replicated shards. */
export const statusCommand: CommandSpec = {
  name: "status",
  summary: "show workers (zone, load, shards held), datasets with replicas, and under-replicated shards",
  positionals: [{ name: "planner-uri", description: "the planner, e.g. grpc+tcp://localhost:8815" }],
  options: { ...CLIENT_OPTIONS, ...JSON_OPTION },
  examples: ["status grpc+tcp://localhost:8815", "status grpc+tcp://localhost:8815 --json"],
  async run(args, { io, signal }) {
    const uri = args.uriPositional(0, "planner-uri");
    const flags = clientFlags(args);
    await withPlannerSession(uri, { ...flags, signal }, async (session) => {
      const answer = await session.jsonAction("status");
      if (args.flag("json")) {
        io.stdout.write(`${JSON.stringify(answer)}\n`);
        return;
      }
      // Shards held per worker come from each dataset's replica list.
      const names = recordsOf(
        typeof answer === "object" && answer !== null ? ((answer as Record<string, unknown>)["datasets"] ?? []) : [],
        "datasets",
      ).map((d) => String(d["name"]));
      const describes: unknown[] = [];
      for (const name of names) describes.push(await session.jsonAction("describe", name).catch(() => null));
      io.stdout.write(renderStatus(answer, describes));
    });
  },
};
