import { describe, expect, it } from "vitest";

import { firstOfGroups } from "../components/badgeLimit";

describe("firstOfGroups: the run bar draws the first badges only", () => {
  const groups = [
    { project: "a", runs: ["a1", "a2", "a3"], size: 3 },
    { project: "b", runs: ["b1", "b2"], size: 2 },
    { project: "c", runs: ["c1"], size: 1 },
  ];

  it("keeps every group whole when all fit", () => {
    expect(firstOfGroups(groups, 10)).toEqual(groups);
  });

  it("cuts the group the limit falls in and drops the ones after it, sizes kept", () => {
    expect(firstOfGroups(groups, 4)).toEqual([
      { project: "a", runs: ["a1", "a2", "a3"], size: 3 },
      { project: "b", runs: ["b1"], size: 2 },
    ]);
  });

  it("draws nothing at a limit of 0 and skips empty groups", () => {
    expect(firstOfGroups(groups, 0)).toEqual([]);
    expect(firstOfGroups([{ project: "x", runs: [], size: 0 }, ...groups], 1)).toEqual([{ project: "a", runs: ["a1"], size: 3 }]);
  });
});
