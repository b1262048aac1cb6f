import { afterEach, describe, expect, it } from "vitest";
import { type MetricsServer, startMetricsServer } from "./metrics-server.js";

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("metrics endpoint", () => {
  it("serves the registry on /metrics and health on /healthz; 404 elsewhere, 405 for other methods", async () => {
    // The shape of a prom-client Registry, as the planner and worker hand theirs over.
    const registry = {
      metrics: async () => "flight_test_total 3\n",
      contentType: "text/plain; version=0.0.4; charset=utf-8",
    };
    let healthy = true;
    server = await startMetricsServer({ registry, port: 0, host: "127.0.0.1", healthy: () => healthy });
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get("content-type")).toBe(registry.contentType);
    expect(await metrics.text()).toContain("flight_test_total 3");
    const ok = await fetch(`${server.url}/healthz`);
    expect([ok.status, await ok.text()]).toEqual([200, "ok\n"]);
    healthy = false;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
  });
});
