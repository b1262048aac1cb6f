/**
 * The bandwidth-delay estimator's rules, against a scripted session (PING acknowledgements
 * come when the test says). Real sessions behind a delay proxy: test/client/window-growth.test.ts.
 */
import { describe, expect, it } from "vitest";
import { nextWindow, SessionWindowTuner, type TunableSession } from "./grpc-window-tuner.js";

const MiB = 1024 * 1024;

class ScriptedSession implements TunableSession {
  destroyed = false;
  pings: Array<(error: Error | null, durationMs: number, payload: Buffer) => void> = [];
  windows: number[] = [];
  settingsSent: number[] = [];

  ping(callback: (error: Error | null, durationMs: number, payload: Buffer) => void): boolean {
    this.pings.push(callback);
    return true;
  }
  setLocalWindowSize(bytes: number): void {
    this.windows.push(bytes);
  }
  settings(settings: { initialWindowSize: number }): void {
    this.settingsSent.push(settings.initialWindowSize);
  }
  ack(): void {
    const callback = this.pings.shift();
    callback?.(null, 40, Buffer.alloc(8));
  }
}

describe("nextWindow", () => {
  it("keeps the window while a round trip carries at most two thirds of it", () => {
    expect(nextWindow(16 * MiB, 0, 64 * MiB)).toBe(16 * MiB);
    expect(nextWindow(3 * MiB, 2 * MiB, 64 * MiB)).toBe(3 * MiB);
  });

  it("grows to twice the bytes measured, at most the maximum", () => {
    expect(nextWindow(3 * MiB, 2 * MiB + 1, 64 * MiB)).toBe(4 * MiB + 2);
    expect(nextWindow(16 * MiB, 16 * MiB, 64 * MiB)).toBe(32 * MiB);
    expect(nextWindow(48 * MiB, 40 * MiB, 64 * MiB)).toBe(64 * MiB);
  });
});

describe("SessionWindowTuner", () => {
  it("measures one round trip at a time and grows the connection and stream windows together", () => {
    const session = new ScriptedSession();
    const tuner = new SessionWindowTuner(session, MiB, 8 * MiB, () => 0);
    tuner.onData(64 * 1024);
    tuner.onData(64 * 1024);
    expect(session.pings).toHaveLength(1); // one PING outstanding at a time
    for (let i = 0; i < 15; i++) tuner.onData(64 * 1024); // 1 MiB arrives before the acknowledgement
    session.ack();
    expect(tuner.window).toBe(2 * MiB);
    expect(session.windows).toEqual([2 * MiB]);
    expect(session.settingsSent).toEqual([2 * MiB]);
  });

  it("backs off after a round trip that changed nothing, and stops at the maximum", () => {
    let now = 0;
    const session = new ScriptedSession();
    const tuner = new SessionWindowTuner(session, MiB, 2 * MiB, () => now);
    tuner.onData(1000);
    session.ack(); // 0 bytes in the round trip: no growth
    tuner.onData(1000);
    expect(session.pings).toHaveLength(0); // waits 50 ms
    now = 50;
    tuner.onData(1000);
    expect(session.pings).toHaveLength(1);
    tuner.onData(MiB);
    session.ack();
    expect(tuner.window).toBe(2 * MiB);
    now = 10_000;
    tuner.onData(MiB);
    expect(session.pings).toHaveLength(0); // at the maximum: no more PINGs
  });

  it("ignores a failed PING and a destroyed session", () => {
    const session = new ScriptedSession();
    const tuner = new SessionWindowTuner(session, MiB, 8 * MiB, () => 0);
    tuner.onData(10);
    tuner.onData(4 * MiB);
    session.pings.shift()?.(new Error("ping cancelled"), 0, Buffer.alloc(0));
    expect(tuner.window).toBe(MiB);
    session.destroyed = true;
    tuner.onData(4 * MiB);
    expect(session.pings).toHaveLength(0);
  });
});
