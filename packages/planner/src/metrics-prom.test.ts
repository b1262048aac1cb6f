import { afterEach, describe, expect, it } from "vitest";
import { createPromPlannerMetrics, type MetricsServer, startMetricsServer } from "./metrics-prom.js";

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("Prometheus planner metrics", () => {
  it("records RPCs, tickets, uploads and repairs, served on /metrics with /healthz", async () => {
    const metrics = createPromPlannerMetrics({ processMetrics: false });
    metrics.rpcFinished("GetFlightInfo", "OK", 0.002);
    metrics.rpcFinished("GetFlightInfo", "NOT_FOUND", 0.001);
    metrics.ticketsIssued(12);
    metrics.uploadFinished("committed", 1000, 65536);
    metrics.repairAction("copied");
    metrics.commitNotice("missed");
    let healthy = true;
    server = await startMetricsServer({
      registry: metrics.registry,
      port: 0,
      host: "127.0.0.1",
      healthy: () => healthy,
    });
    const body = await (await fetch(`${server.url}/metrics`)).text();
    expect(body).toContain('flight_planner_rpc_total{method="GetFlightInfo",code="OK"} 1');
    expect(body).toContain('flight_planner_rpc_total{method="GetFlightInfo",code="NOT_FOUND"} 1');
    expect(body).toContain('flight_planner_rpc_duration_seconds_count{method="GetFlightInfo"} 2');
    expect(body).toContain("flight_planner_tickets_issued_total 12");
    expect(body).toContain('flight_planner_uploads_total{outcome="committed"} 1');
    expect(body).toContain("flight_planner_upload_rows_total 1000");
    expect(body).toContain('flight_planner_repair_actions_total{action="copied"} 1');
    expect(body).toContain('flight_planner_commit_notices_total{outcome="missed"} 1');
    const ok = await fetch(`${server.url}/healthz`);
    expect([ok.status, await ok.text()]).toEqual([200, "ok\n"]);
    healthy = false;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("includes process metrics by default", async () => {
    const metrics = createPromPlannerMetrics();
    expect(await metrics.registry.metrics()).toContain("process_cpu_user_seconds_total");
  });
});
