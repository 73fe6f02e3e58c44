/**
 * Which hosts have no GPU to show. The agent probes NVML once and, finding no driver or no
 * GPU, sends no GPU metric at all: a host that sends system metrics (sys.cpu…) but not one
 * sys.gpu… has no NVIDIA GPU / NVML, which the page says rather than leaving the GPU charts out
 * without a word. Pure.
 */
export interface HostSeries {
  runId: string;
  host: string;
  metric: string;
}

export function hostsWithoutGpu(series: Iterable<HostSeries>, include: (runId: string) => boolean = () => true): string[] {
  const system = new Set<string>();
  const gpu = new Set<string>();
  for (const s of series) {
    if (!s.metric.startsWith("sys.") || s.host === "" || !include(s.runId)) continue;
    system.add(s.host);
    if (s.metric.startsWith("sys.gpu.")) gpu.add(s.host);
  }
  return [...system].filter((host) => !gpu.has(host)).sort();
}
