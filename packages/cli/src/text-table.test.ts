import { describe, expect, it } from "vitest";
import { formatProgressLine } from "./progress-reporter.js";
import { formatTextTable } from "./text-table.js";

describe("formatTextTable", () => {
  it("aligns columns and escapes control characters", () => {
    const text = formatTextTable(
      [{ header: "NAME" }, { header: "ROWS", align: "right" }],
      [
        ["sales", "1,000"],
        ["evil\nname", "5"],
      ],
    );
    expect(text).toBe(
      ["NAME             ROWS", "--------------  -----", "sales           1,000", "evil\\u000aname      5", ""].join(
        "\n",
      ),
    );
  });

  it("says (none) for no rows", () => {
    expect(formatTextTable([{ header: "A" }], [])).toBe("A\n-\n(none)\n");
  });
});

describe("formatProgressLine", () => {
  it("shows a bar and percentage on a terminal, plain numbers otherwise", () => {
    expect(formatProgressLine("put x", 500, 1024 * 1024, 1000, 0.5, true)).toBe(
      "put x  [############............]  50%  500 rows  1 MiB  1 MiB/s  1s",
    );
    expect(formatProgressLine("put x", 500, 2048, 2000, undefined, false)).toBe("put x  500 rows  2 KiB  1 KiB/s  2s");
  });
});
