import { describe, expect, it } from "vitest";
import { createPromPlannerMetrics } from "./metrics-prom.js";

describe("Prometheus planner metrics", () => {
  it("records RPCs, tickets, uploads, repairs and commit notices", async () => {
    const metrics = createPromPlannerMetrics({ processMetrics: false });
    metrics.rpcFinished("GetFlightInfo", "OK", 0.002);
    metrics.rpcFinished("GetFlightInfo", "NOT_FOUND", 0.001);
    metrics.ticketsIssued(12);
    metrics.uploadFinished("committed", 1000, 65536);
    metrics.repairAction("copied");
    metrics.commitNotice("missed");
    const body = await metrics.registry.metrics();
    expect(body).toContain('flight_planner_rpc_total{method="GetFlightInfo",code="OK"} 1');
    expect(body).toContain('flight_planner_rpc_total{method="GetFlightInfo",code="NOT_FOUND"} 1');
    expect(body).toContain('flight_planner_rpc_duration_seconds_count{method="GetFlightInfo"} 2');
    expect(body).toContain("flight_planner_tickets_issued_total 12");
    expect(body).toContain('flight_planner_uploads_total{outcome="committed"} 1');
    expect(body).toContain("flight_planner_upload_rows_total 1000");
    expect(body).toContain('flight_planner_repair_actions_total{action="copied"} 1');
    expect(body).toContain('flight_planner_commit_notices_total{outcome="missed"} 1');
  });

  it("includes process metrics by default", async () => {
    const metrics = createPromPlannerMetrics();
    expect(await metrics.registry.metrics()).toContain("process_cpu_user_seconds_total");
  });
});
