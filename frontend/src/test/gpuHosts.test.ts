import { describe, expect, it } from "vitest";

import { hostsWithoutGpu } from "../core/gpuHosts";

const s = (runId: string, host: string, metric: string) => ({ runId, host, metric });

describe("hostsWithoutGpu", () => {
  it("names the hosts that send system metrics but no GPU metric", () => {
    const series = [
      s("a", "laptop", "sys.cpu.util_percent"),
      s("b", "dgx1", "sys.cpu.util_percent"),
      s("b", "dgx1", "sys.gpu.0.util_percent"),
      s("c", "ci", "sys.mem.used_bytes"),
      s("d", "trainer", "train/loss"), // no system metrics: nothing is known of its GPUs
    ];
    expect(hostsWithoutGpu(series)).toEqual(["ci", "laptop"]);
  });

  it("looks only at the runs asked about", () => {
    const series = [s("a", "laptop", "sys.cpu.util_percent"), s("b", "ci", "sys.cpu.util_percent")];
    expect(hostsWithoutGpu(series, (id) => id === "b")).toEqual(["ci"]);
  });

  it("a host with a GPU on any of its runs has one", () => {
    const series = [s("a", "dgx1", "sys.cpu.util_percent"), s("b", "dgx1", "sys.gpu.1.temperature_celsius")];
    expect(hostsWithoutGpu(series)).toEqual([]);
  });
});
