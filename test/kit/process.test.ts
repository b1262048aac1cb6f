// The process kit with real child processes (node -e scripts).
import { describe, expect, it } from "vitest";
import { startProcess } from "./process.js";

const node = process.execPath;

describe("startProcess", () => {
  it("resolves on the ready line, then exchanges lines and stops the child", async () => {
    const child = await startProcess({
      name: "echo",
      command: node,
      args: [
        "-e",
        `console.log("warming up"); console.log("READY 42");
         require("readline").createInterface({ input: process.stdin }).on("line", (l) => console.log("echo:" + l));`,
      ],
      isReady: (line) => line.startsWith("READY"),
    });
    try {
      expect(child.readyLine).toBe("READY 42");
      await child.writeLine("hello");
      expect(await child.nextLine({ timeoutMs: 10_000 })).toBe("echo:hello");
    } finally {
      const exit = await child.stop();
      // Closing stdin ends the child's readline (exit 0) unless SIGTERM gets there first.
      expect(exit.code === 0 || exit.signal === "SIGTERM").toBe(true);
    }
    // stop() resolved only after the exit: nothing is left running.
    expect(() => process.kill(child.pid, 0)).toThrow();
  });

  it("rejects with the child's stderr when it exits before being ready", async () => {
    await expect(
      startProcess({
        name: "crasher",
        command: node,
        args: ["-e", `console.error("no pyarrow here"); process.exit(3);`],
        isReady: () => true,
      }),
    ).rejects.toThrow(/crasher exited \(code 3[\s\S]*no pyarrow here/);
  });

  it("rejects after the bounded wait when no ready line comes, and kills the child", async () => {
    const error = await startProcess({
      name: "silent",
      command: node,
      args: ["-e", "setInterval(() => {}, 1000);"],
      isReady: () => false,
      readyTimeoutMs: 300,
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/silent: no ready line within \d+ ms/);
    const match = /\(pid (\d+)\)/.exec((error as Error).message);
    expect(match).not.toBeNull();
    expect(() => process.kill(Number(match?.[1]), 0)).toThrow();
  });

  it("fails nextLine with the exit status once the child is gone", async () => {
    const child = await startProcess({
      name: "short",
      command: node,
      args: ["-e", `console.log("up"); setTimeout(() => process.exit(0), 10);`],
      isReady: (line) => line === "up",
    });
    await expect(child.nextLine({ timeoutMs: 10_000 })).rejects.toThrow(/short exited \(code 0/);
    await child.stop();
  });
});
