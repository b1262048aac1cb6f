import { describe, expect, it } from "vitest";
import { runClient, startServer } from "./bench-child.js";

// Real child processes (node -e) speaking the event protocol; the timeouts only guard against hangs.
const HANG_GUARD_MS = 30_000;
const usage = "maxRssBytes: 1, cpuUserSeconds: 0, cpuSystemSeconds: 0";
const node = (source: string) => ({ command: process.execPath, args: ["-e", source] });

const serverSource = `
  console.log("starting up (not an event)");
  console.log(JSON.stringify({ event: "ready", port: 4321, messages: 7, ${usage} }));
  process.stdin.on("data", () => {});
  process.stdin.on("end", () => console.log(JSON.stringify({ event: "exit", ${usage.replace("1,", "2,")} })));
`;

describe("startServer", () => {
  it("returns the ready event, and stop() closes stdin and returns the exit event", async () => {
    const server = await startServer("test server", node(serverSource), HANG_GUARD_MS);
    expect(server.ready).toMatchObject({ event: "ready", port: 4321, messages: 7 });
    const exit = await server.stop(HANG_GUARD_MS);
    expect(exit).toMatchObject({ event: "exit", maxRssBytes: 2 });
  });

  it("fails with the server's stderr when it exits before ready", async () => {
    const failing = node(`console.error("cannot load table"); process.exit(3);`);
    await expect(startServer("test server", failing, HANG_GUARD_MS)).rejects.toThrow(
      /test server exited with status 3 before its "ready" event[\s\S]*cannot load table/,
    );
  });

  it("fails stop() when the server exits without an exit event", async () => {
    const silent = node(`console.log(JSON.stringify({ event: "ready", port: 1, ${usage} })); process.stdin.resume();
      process.stdin.on("end", () => process.exit(0));`);
    const server = await startServer("test server", silent, HANG_GUARD_MS);
    await expect(server.stop(HANG_GUARD_MS)).rejects.toThrow(/before its "exit" event/);
  });
});

describe("runClient", () => {
  const result = `{ event: "result", warmup: [], passes: [{ seconds: 1, rows: 5, batches: 1 }], ${usage} }`;

  it("returns the result event of a client that succeeds", async () => {
    const client = await runClient("test client", node(`console.log(JSON.stringify(${result}))`), HANG_GUARD_MS);
    expect(client.passes).toEqual([{ seconds: 1, rows: 5, batches: 1 }]);
  });

  it("fails when the client exits with an error status, even after printing a result", async () => {
    const source = `console.log(JSON.stringify(${result})); console.error("rows mismatch"); process.exitCode = 2;`;
    await expect(runClient("test client", node(source), HANG_GUARD_MS)).rejects.toThrow(
      /test client exited with status 2[\s\S]*rows mismatch/,
    );
  });

  it("fails when a command cannot be started", async () => {
    await expect(runClient("test client", { command: "/nonexistent/python", args: [] }, HANG_GUARD_MS)).rejects.toThrow(
      /spawn failed/,
    );
  });
});
