import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { StreamClient } from "../sse/client";
import { createAppStore } from "../store/store";
import { delta, run, series, snapshot } from "./factories";

/** A stand-in EventSource the test drives by hand. */
class FakeSource {
  static all: FakeSource[] = [];
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((ev: MessageEvent<string>) => void)[]>();
  constructor(readonly url: string) {
    FakeSource.all.push(this);
  }
  addEventListener(type: string, fn: (ev: MessageEvent<string>) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.();
  }
  emit(type: string, data: unknown, id = "") {
    for (const fn of this.listeners.get(type) ?? []) fn({ data: JSON.stringify(data), lastEventId: id } as MessageEvent<string>);
  }
  fail() {
    this.onerror?.();
  }
}

function setup() {
  const store = createAppStore();
  const client = new StreamClient({
    store,
    url: "stream",
    createEventSource: (url) => new FakeSource(url) as unknown as EventSource,
    random: () => 1,
  });
  return { store, client };
}

const latest = () => FakeSource.all[FakeSource.all.length - 1] as FakeSource;

beforeEach(() => {
  FakeSource.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("StreamClient", () => {
  it("applies snapshot, delta and runs_meta and reports live", () => {
    const { store, client } = setup();
    client.start();
    expect(store.getState().connection.state).toBe("connecting");
    latest().open();
    latest().emit("snapshot", snapshot(1, [run("a")], [series("a", "m", [1], [1])]), "1");
    latest().emit("delta", delta(1, 2, [series("a", "m", [2], ["NaN"])]), "2");
    latest().emit("runs_meta", { version: 2, runs: [run("a", { status: "finished" })] }, "2");
    const s = store.getState();
    expect(s.connection.state).toBe("live");
    expect(s.connection.lastEventAt).not.toBeNull();
    expect(s.version).toBe(2);
    expect(s.runs.get("a")?.status).toBe("finished");
    client.stop();
  });

  it("on error goes disconnected, backs off, and resumes with the held version", () => {
    const { store, client } = setup();
    client.start();
    latest().open();
    latest().emit("snapshot", snapshot(5, [run("a")], []), "5");
    const first = latest();
    first.fail();
    expect(first.closed).toBe(true);
    expect(store.getState().connection.state).toBe("disconnected");
    expect(FakeSource.all).toHaveLength(1);
    vi.advanceTimersByTime(500);
    expect(FakeSource.all).toHaveLength(2);
    expect(latest().url).toBe("stream?last_event_id=5");
    expect(store.getState().connection.state).toBe("connecting");
    client.stop();
  });

  it("backs off exponentially while the server stays away, and resets after success", () => {
    const { client } = setup();
    client.start();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const count = FakeSource.all.length;
      latest().fail();
      let waited = 0;
      while (FakeSource.all.length === count) {
        vi.advanceTimersByTime(100);
        waited += 100;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000]);
    latest().open();
    latest().emit("snapshot", snapshot(1, [], []), "1");
    latest().fail();
    vi.advanceTimersByTime(500);
    expect(latest().url).toBe("stream?last_event_id=1");
    client.stop();
  });

  it("reconnects without a version (fresh snapshot) when a delta does not continue the store", () => {
    const { store, client } = setup();
    client.start();
    latest().open();
    latest().emit("snapshot", snapshot(3, [run("a")], [series("a", "m", [1], [1])]), "3");
    const first = latest();
    first.emit("delta", delta(7, 8, [series("a", "m", [2], [2])]), "8");
    expect(first.closed).toBe(true);
    expect(latest()).not.toBe(first);
    expect(latest().url).toBe("stream");
    expect(store.getState().version).toBe(3);
    client.stop();
  });

  it("reconnects a stream that has been silent past the watchdog", () => {
    const store = createAppStore();
    const client = new StreamClient({
      store,
      createEventSource: (url) => new FakeSource(url) as unknown as EventSource,
      random: () => 1,
      watchdogMs: 10_000,
    });
    client.start();
    latest().open();
    latest().emit("snapshot", snapshot(1, [], []), "1");
    vi.advanceTimersByTime(5_000);
    latest().emit("ping", {});
    vi.advanceTimersByTime(9_000);
    expect(FakeSource.all).toHaveLength(1);
    vi.advanceTimersByTime(6_000);
    expect(FakeSource.all[0]?.closed).toBe(true);
    expect(FakeSource.all.length).toBe(2);
    expect(latest().url).toBe("stream?last_event_id=1");
    expect(store.getState().connection.state).toBe("live");
    latest().fail();
    expect(store.getState().connection.state).toBe("disconnected");
    client.stop();
  });

  it("stops cleanly: no reconnect after stop", () => {
    const { client } = setup();
    client.start();
    latest().fail();
    client.stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeSource.all).toHaveLength(1);
  });
});
