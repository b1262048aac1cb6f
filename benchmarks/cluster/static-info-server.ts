/**
 * The reference for the GetFlightInfo benchmark: a FlightServer (same protocol stack as the
 * planner) that answers GetFlightInfo with FlightInfos fetched once from the planner, so the
 * same bytes travel without any registry work. The cost floor of the RPC on this machine.
 *
 *   node static-info-server.js <planner-uri> <dataset>...
 * Prints `static-info-server ready grpc+tcp://127.0.0.1:<port>` and serves until SIGTERM.
 */
import {
  connect,
  FlightDescriptor,
  type FlightInfo,
  FlightNotFoundError,
  FlightServer,
} from "@flight-cluster/protocol";

const [plannerUri, ...datasets] = process.argv.slice(2);
if (plannerUri === undefined || datasets.length === 0) {
  process.stderr.write("usage: static-info-server <planner-uri> <dataset>...\n");
  process.exit(2);
}
const planner = connect(plannerUri);
const infos = new Map<string, FlightInfo>();
for (const dataset of datasets) infos.set(dataset, await planner.getFlightInfo(FlightDescriptor.forPath(dataset)));
planner.close();

const server = new FlightServer({
  getFlightInfo(_ctx, descriptor) {
    const name = descriptor.type === "path" ? descriptor.path.join("/") : "";
    const info = infos.get(name);
    if (info === undefined) throw new FlightNotFoundError(`no such flight ${JSON.stringify(name)}`);
    return info;
  },
});
const bound = await server.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`static-info-server ready ${bound.location.uri}\n`);
process.once("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
