import { describe, expect, it } from "vitest";

import { DEFAULT_TABS, parseTabsConfig, sidebarTabs, tabForMetric } from "../core/tabs";

describe("tabForMetric with the default mapping", () => {
  it.each([
    ["train/loss", "training"],
    ["train/lr", "training"],
    ["loss", "training"],
    ["loss_scale", "training"],
    ["throughput/tokens_per_s", "training"],
    ["lr", "training"],
    ["model/grad_norm", "model"],
    ["val/loss", "evaluation"],
    ["eval/accuracy", "evaluation"],
    ["sys.cpu.util_percent", "system"],
    ["sys.gpu.0.util_percent", "system"],
    ["checkpoint", "checkpoints"],
    ["agent.points_dropped", "other"],
    ["my_custom_metric", "other"],
    ["", "other"],
  ])("%s → %s", (metric, tab) => {
    expect(tabForMetric(metric, DEFAULT_TABS)).toBe(tab);
  });

  it("prefers the longest prefix", () => {
    const config = {
      tabs: [
        { id: "a", title: "A", prefixes: ["train/"] },
        { id: "b", title: "B", prefixes: ["train/grad"] },
      ],
      fallback: "other",
    };
    expect(tabForMetric("train/grad_norm", config)).toBe("b");
    expect(tabForMetric("train/loss", config)).toBe("a");
  });
});

describe("sidebarTabs", () => {
  it("places Progress before the fallback and keeps Checkpoints", () => {
    expect(sidebarTabs(DEFAULT_TABS).map((t) => t.id)).toEqual([
      "training",
      "model",
      "evaluation",
      "system",
      "checkpoints",
      "distributions",
      "media",
      "logs",
      "progress",
      "other",
    ]);
  });

  it("adds Checkpoints and the fallback tab when a custom mapping lacks them", () => {
    const tabs = sidebarTabs({ tabs: [{ id: "rl", title: "RL", prefixes: ["rl/"] }], fallback: "misc" });
    expect(tabs.map((t) => t.id)).toEqual(["rl", "checkpoints", "distributions", "media", "logs", "progress", "misc"]);
  });
});

describe("parseTabsConfig", () => {
  it("accepts the server's shape", () => {
    expect(parseTabsConfig({ tabs: [{ id: "t", title: "T", prefixes: ["x/"] }], fallback: "other" })).toEqual({
      tabs: [{ id: "t", title: "T", prefixes: ["x/"] }],
      fallback: "other",
    });
  });

  it.each([null, 3, {}, { tabs: "x", fallback: "o" }, { tabs: [{ title: "no id", prefixes: [] }], fallback: "o" }])(
    "refuses %j",
    (raw) => {
      expect(parseTabsConfig(raw)).toBeNull();
    },
  );
});
