import { describe, expect, it } from "vitest";

import type { TableColumn } from "../compare/api";
import { groupableColumns, withGroupKey } from "../compare/groupBy";

const col = (id: string, kind: TableColumn["kind"], group: TableColumn["group"] = "run"): TableColumn => ({ id, label: id, kind, group });

describe("grouping by one or two keys (Runs view and tab cards)", () => {
  it("offers config and run columns, not summaries, times, durations, the id or the name", () => {
    const columns = [col("name", "string"), col("run_id", "string"), col("project", "string"), col("host", "string"), col("started", "time"), col("duration", "duration"), col("config.lr", "number", "config"), col("loss:min", "number", "summary")];
    expect(groupableColumns(columns).map((c) => c.id)).toEqual(["project", "host", "config.lr"]);
  });

  it.each([
    [[], 0, "config.lr", ["config.lr"]],
    [["config.lr"], 1, "host", ["config.lr", "host"]],
    [["config.lr", "host"], 0, "project", ["project", "host"]],
    [["config.lr", "host"], 0, "host", ["host"]],
    [["config.lr", "host"], 1, "config.lr", ["config.lr"]],
    [["config.lr", "host"], 1, "", ["config.lr"]],
    [["config.lr", "host"], 0, "", []],
    [[], 1, "host", []],
  ] as const)("%j, key %i set to %j → %j", (groupBy, index, key, expected) => {
    expect(withGroupKey(groupBy, index, key)).toEqual(expected);
  });
});
