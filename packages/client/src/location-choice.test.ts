import { describe, expect, it } from "vitest";
import { type Candidate, type ChoiceInputs, rankLocations } from "./location-choice.js";

function inputs(
  rtt: Record<string, number>,
  inflight: Record<string, number> = {},
  zones: Record<string, string> = {},
  callerZone?: string,
): ChoiceInputs {
  return {
    rtt: (uri) => rtt[uri],
    inflight: (uri) => inflight[uri] ?? 0,
    zoneOf: (uri) => zones[uri],
    callerZone,
  };
}

const AB: Candidate[] = [
  { uri: "a", order: 0 },
  { uri: "b", order: 1 },
];

describe("rankLocations", () => {
  it("prefers the clearly lower round trip however busy it is", () => {
    expect(rankLocations(AB, inputs({ a: 40, b: 2 }))[0]?.uri).toBe("b");
    expect(rankLocations(AB, inputs({ a: 40, b: 10 }, { b: 50 }))[0]?.uri).toBe("b");
    expect(rankLocations(AB, inputs({ a: 17.1, b: 12 }, { b: 50 }))[0]?.uri).toBe("b");
  });

  it("treats round trips within 1.25x + 2 ms as a tie and spreads load over them", () => {
    expect(rankLocations(AB, inputs({ a: 2, b: 2.2 }, { a: 1 }))[0]?.uri).toBe("b");
    expect(rankLocations(AB, inputs({ a: 2, b: 2.2 }, { a: 1, b: 1 }))[0]?.uri).toBe("a");
    expect(rankLocations(AB, inputs({ a: 10, b: 14.4 }, { a: 1 }))[0]?.uri).toBe("b");
    expect(rankLocations(AB, inputs({ a: 10, b: 14.6 }, { a: 1 }))[0]?.uri).toBe("a");
  });

  it("puts the caller's zone first, then falls back to the server's order", () => {
    expect(rankLocations(AB, inputs({ a: 1, b: 30 }, {}, { b: "z2" }, "z2"))[0]?.uri).toBe("b");
    expect(rankLocations(AB, inputs({}))[0]?.uri).toBe("a");
    expect(rankLocations([...AB].reverse(), inputs({}))[0]?.uri).toBe("a");
  });

  it("costs a location without a sample at the candidates' mean", () => {
    expect(rankLocations(AB, inputs({ a: 10 }))[0]?.uri).toBe("a");
    expect(rankLocations(AB, inputs({ a: 10 }, { a: 1 }))[0]?.uri).toBe("b");
    expect(rankLocations([...AB, { uri: "c", order: 2 }], inputs({ a: 10, b: 40 }))[0]?.uri).toBe("a");
  });
});
