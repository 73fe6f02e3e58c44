import { describe, expect, it } from "vitest";

import {
  formatAgo,
  formatTimeTicks,
  formatBytes,
  formatDuration,
  formatNumber,
  formatRate,
  formatSeconds,
  formatStep,
  formatValue,
  unitKind,
} from "../core/format";

describe("unitKind", () => {
  it.each([
    ["bytes", "", "bytes"],
    ["%", "", "percent"],
    ["percent", "", "percent"],
    ["W", "", "watts"],
    ["°C", "", "celsius"],
    ["s", "", "seconds"],
    ["bytes_per_s", "", "bytes_per_s"],
    ["", "sys.gpu.0.mem_used_bytes", "bytes"],
    ["", "sys.net.rx_bytes_per_s", "bytes_per_s"],
    ["", "sys.cpu.util_percent", "percent"],
    ["", "sys.gpu.1.power_watts", "watts"],
    ["", "sys.gpu.0.temp_celsius", "celsius"],
    ["", "train/step_time_sec", "seconds"],
    ["", "train/loss", "plain"],
    ["", "train/samples_per_sec", "plain"],
    ["", "throughput/tokens_per_s", "plain"],
  ])("unit %j, metric %j → %s", (unit, metric, kind) => {
    expect(unitKind(unit, metric)).toBe(kind);
  });
});

describe("formatValue", () => {
  it.each([
    [0.123456, "plain", "0.1235"],
    [1234.5, "plain", "1,235"],
    [123456, "plain", "123.5K"],
    [2.5e-5, "plain", "2.5e-5"],
    [0, "plain", "0"],
    [Number.NaN, "plain", "NaN"],
    [Number.POSITIVE_INFINITY, "plain", "+∞"],
    [Number.NEGATIVE_INFINITY, "bytes", "−∞"],
    [512, "bytes", "512 B"],
    [1536, "bytes", "1.50 KiB"],
    [8 * 1024 ** 3, "bytes", "8.00 GiB"],
    [80 * 1024 ** 3, "bytes", "80.0 GiB"],
    [3 * 1024 ** 2, "bytes_per_s", "3.00 MiB/s"],
    [42.123, "percent", "42.1%"],
    [100, "percent", "100%"],
    [245.4, "watts", "245 W"],
    [65.25, "celsius", "65.3 °C"],
    [0.25, "seconds", "250 ms"],
    [12.34, "seconds", "12.3 s"],
    [200, "seconds", "3m 20s"],
    [1500, "milliseconds", "1.5 s"],
  ] as const)("%s as %s → %s", (value, kind, text) => {
    expect(formatValue(value, kind)).toBe(text);
  });

  it("appends an unknown unit", () => {
    expect(formatValue(3.5, "plain", "tok/s")).toBe("3.5 tok/s");
  });
});

describe("small formatters", () => {
  it("formats bytes, seconds, durations, steps, rates and ages", () => {
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatSeconds(0.0005)).toBe("500 µs");
    expect(formatDuration(45)).toBe("45s");
    expect(formatDuration(7500)).toBe("2h 05m");
    expect(formatDuration(3 * 86400 + 4 * 3600)).toBe("3d 4h");
    expect(formatStep(12345)).toBe("12,345");
    expect(formatStep(12345, true)).toBe("12.35k");
    expect(formatRate(12.345)).toBe("12.3 steps/s");
    expect(formatRate(0.05)).toBe("3 steps/min");
    expect(formatRate(0)).toBe("—");
    expect(formatAgo(1000, 1500)).toBe("just now");
    expect(formatAgo(0, 12_000)).toBe("12 s ago");
    expect(formatAgo(0, 5 * 60_000)).toBe("5 min ago");
    expect(formatNumber(-0.5)).toBe("-0.5");
  });
});

describe("formatTimeTicks", () => {
  const t = new Date(2024, 10, 23, 14, 5, 30).getTime();
  it("shows seconds, minutes or days by tick spacing", () => {
    expect(formatTimeTicks([t], 15_000)).toEqual(["14:05:30"]);
    expect(formatTimeTicks([t], 300_000)).toEqual(["14:05"]);
    expect(formatTimeTicks([new Date(2024, 10, 23).getTime()], 3_600_000)).toEqual(["Nov 23"]);
    expect(formatTimeTicks([t], 86_400_000)).toEqual(["Nov 23"]);
  });
});
