import { describe, expect, it } from "vitest";

import { panelData } from "../sql/chart";
import { LineSplitter, resultCollector, selectionParams } from "../sql/result";
import { panelFromHash, panelHash } from "../sql/saved";
import { sortedOrder, toDelimited } from "../sql/table";

describe("the /sql body", () => {
  it("splits chunks into lines and reads names, types, rows and the trailer", () => {
    const { line, result } = resultCollector();
    const s = new LineSplitter(line);
    for (const chunk of ['["a","b"]\n["UInt8",', '"String"]\n[1,"x"]\n[2', ',"y"]\n{"summary":{"result_rows":2,"elapsed_ms":1,"truncated":false}}\n']) s.push(chunk);
    s.end();
    expect(result).toEqual({
      columns: ["a", "b"], types: ["UInt8", "String"], rows: [[1, "x"], [2, "y"]],
      summary: { result_rows: 2, elapsed_ms: 1, truncated: false }, error: null,
    });
  });
  it("turns an error trailer into an error", () => {
    const { line, result } = resultCollector();
    line('{"error":"Code: 159. boom","code":159}');
    expect(result.error).toEqual({ message: "Code: 159. boom", code: 159 });
  });
});

describe("selectionParams", () => {
  it.each([
    ["SELECT 1", {}],
    ["SELECT {run_ids:Array(String)}", { run_ids: ["a", "b"] }],
    ["SELECT {run_id: String}, {run_ids:Array(String)}", { run_id: "a", run_ids: ["a", "b"] }],
    ["SELECT {other:String}", {}],
  ])("%s", (query, expected) => {
    expect(selectionParams(["a", "b"], query)).toEqual(expected);
  });
});

describe("toDelimited", () => {
  it.each([
    ["csv", 'a,b\n1,"x,y"\n2,"q""uote"\n,[1]\n'],
    ["tsv", "a\tb\n1\tx,y\n2\tq\"uote\n\t[1]\n"],
  ] as const)("%s", (kind, text) => {
    expect(toDelimited(["a", "b"], [[1, "x,y"], [2, 'q"uote'], [null, [1]]], kind)).toBe(text);
  });
});

describe("sortedOrder", () => {
  const rows = [["10"], ["9"], [null], ["b"]];
  it.each([
    [null, [0, 1, 2, 3]],
    [{ column: 0, descending: false }, [1, 0, 3, 2]],
    [{ column: 0, descending: true }, [2, 3, 0, 1]],
  ])("%j", (sort, order) => {
    expect(sortedOrder(rows, sort)).toEqual(order);
  });
});

describe("panelData", () => {
  const result = {
    columns: ["step", "run_id", "value"], types: ["UInt64", "String", "Float64"],
    rows: [[1, "a", 0.5], [2, "a", 0.4], [1, "b", 0.9]], summary: null, error: null,
  };
  it("pivots the series column into one line per value, aligned on x", () => {
    expect(panelData(result, { kind: "line", x: "step", y: ["value"], series: "run_id" })).toEqual({
      x: [1, 2], timeAxis: false,
      series: [{ label: "a", values: [0.5, 0.4] }, { label: "b", values: [0.9, null] }],
    });
  });
  it("names a missing column", () => {
    expect(panelData(result, { kind: "line", x: "nope", y: [], series: null })).toBe("no column nope in the result");
  });
});

describe("panel links", () => {
  it("round-trip the query and chart through the URL hash", () => {
    const panel = { name: "löss", query: "SELECT {run_ids:Array(String)} -- ü", chart: { kind: "bar" as const, x: "a", y: ["b"], series: null } };
    expect(panelFromHash(panelHash(panel))).toEqual(panel);
    expect(panelFromHash("#sql")).toBeNull();
  });
});
