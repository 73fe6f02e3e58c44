import { backoffDelay } from "../core/backoff";
import type { DeltaMessage, RunsMetaMessage, SnapshotMessage, StatusMessage } from "../core/types";
import type { PerfLog } from "../perf";
import { setConnection } from "../store/actions";
import { applyDelta, applyRunsMeta, applySnapshot } from "../store/apply";
import type { AppStore } from "../store/store";

/**
 * The live connection: EventSource on /stream, applying snapshot / delta / runs_meta to the
 * store.
 *
 * Reconnects are ours, not the browser's: on any error the EventSource is closed and a new
 * one is opened after a capped exponential backoff with jitter, forever (a wall screen has no
 * human to press reload). Because a new EventSource does not carry the Last-Event-ID header of
 * the old one, the version the store holds is sent as `?last_event_id=`; the server answers
 * with the missed deltas, or with a snapshot when they are gone. A delta that does not
 * continue the store's version (a gap) makes the client reconnect without a version, which
 * always yields a fresh snapshot. A watchdog reconnects a stream that has been silent (no
 * event, no named ping) for too long: a dropped network can leave a socket that never errors.
 */

export interface StreamClientOptions {
  store: AppStore;
  url?: string;
  perf?: PerfLog;
  createEventSource?: (url: string) => EventSource;
  random?: () => number;
  now?: () => number;
  watchdogMs?: number;
  maxBackoffMs?: number;
  onSnapshot?: () => void;
  /** An `alert` event's data (live only, outside the version chain). */
  onAlert?: (data: string) => void;
}

type Timer = ReturnType<typeof setTimeout>;

export class StreamClient {
  private readonly store: AppStore;
  private readonly url: string;
  private readonly perf: PerfLog | null;
  private readonly create: (url: string) => EventSource;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly watchdogMs: number;
  private readonly maxBackoffMs: number;
  private readonly onSnapshot: (() => void) | null;
  private readonly onAlert: ((data: string) => void) | null;
  private source: EventSource | null = null;
  private retryTimer: Timer | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private attempts = 0;
  private lastMessageAt = 0;
  private running = false;
  private recentResyncs: number[] = [];

  constructor(options: StreamClientOptions) {
    this.store = options.store;
    this.url = options.url ?? "stream";
    this.perf = options.perf ?? null;
    this.create = options.createEventSource ?? ((url) => new EventSource(url));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.watchdogMs = options.watchdogMs ?? 75_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.onSnapshot = options.onSnapshot ?? null;
    this.onAlert = options.onAlert ?? null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect(true);
    this.watchdog = setInterval(() => this.checkWatchdog(), Math.min(5000, this.watchdogMs));
  }

  stop(): void {
    this.running = false;
    this.closeSource();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.retryTimer = null;
    this.watchdog = null;
  }

  /** Reconnect at once (the network came back, the page became visible). */
  reconnectNow(): void {
    if (!this.running) return;
    if (this.store.getState().connection.state === "live") return;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect(true);
  }

  /** `quiet`: a watchdog reopen of a stream that looked fine; the dot stays as it is. */
  private connect(resume: boolean, quiet = false): void {
    this.closeSource();
    const version = this.store.getState().version;
    const url = resume && version !== null ? `${this.url}${this.url.includes("?") ? "&" : "?"}last_event_id=${version}` : this.url;
    if (!quiet) setConnection(this.store, { state: "connecting", retryAt: null, attempts: this.attempts });
    let source: EventSource;
    try {
      source = this.create(url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.source = source;
    this.lastMessageAt = this.now();
    source.onopen = () => {
      if (this.source !== source) return;
      this.lastMessageAt = this.now();
      setConnection(this.store, { state: "live", retryAt: null, lastMessageAt: this.lastMessageAt });
    };
    source.onerror = () => {
      if (this.source !== source) return;
      this.closeSource();
      this.scheduleRetry();
    };
    source.addEventListener("snapshot", (ev) => this.onEvent(source, "snapshot", ev as MessageEvent<string>));
    source.addEventListener("delta", (ev) => this.onEvent(source, "delta", ev as MessageEvent<string>));
    source.addEventListener("runs_meta", (ev) => this.onEvent(source, "runs_meta", ev as MessageEvent<string>));
    source.addEventListener("alert", (ev) => {
      if (this.source !== source) return;
      this.lastMessageAt = this.now();
      this.onAlert?.((ev as MessageEvent<string>).data);
    });
    source.addEventListener("ping", () => {
      if (this.source !== source) return;
      this.lastMessageAt = this.now();
      setConnection(this.store, { lastMessageAt: this.lastMessageAt });
    });
    source.addEventListener("status", (ev) => {
      if (this.source !== source) return;
      this.lastMessageAt = this.now();
      let server: StatusMessage;
      try {
        server = JSON.parse((ev as MessageEvent<string>).data) as StatusMessage;
      } catch {
        return;
      }
      setConnection(this.store, { server, lastMessageAt: this.lastMessageAt });
    });
  }

  private onEvent(source: EventSource, kind: "snapshot" | "delta" | "runs_meta", ev: MessageEvent<string>): void {
    if (this.source !== source) return;
    const receivedAt = performance.now();
    const timing = this.perf?.received(kind, ev.data.length, receivedAt) ?? null;
    this.lastMessageAt = this.now();
    let message: unknown;
    try {
      message = JSON.parse(ev.data);
    } catch {
      this.resync();
      return;
    }
    if (kind === "snapshot") {
      applySnapshot(this.store, message as SnapshotMessage);
      this.onSnapshot?.();
    } else if (kind === "delta") {
      if (applyDelta(this.store, message as DeltaMessage) === "resync") {
        this.resync();
        return;
      }
    } else {
      applyRunsMeta(this.store, message as RunsMetaMessage);
    }
    this.attempts = 0;
    const state = this.store.getState();
    if (timing && this.perf) this.perf.applied(timing, state.version, performance.now());
    setConnection(this.store, { state: "live", lastEventAt: this.now(), lastMessageAt: this.now(), retryAt: null, attempts: 0 });
  }

  /** The store missed something: ask for a fresh snapshot (with backoff if it keeps happening). */
  private resync(): void {
    const now = this.now();
    this.recentResyncs = this.recentResyncs.filter((t) => now - t < 10_000);
    this.recentResyncs.push(now);
    this.closeSource();
    if (this.recentResyncs.length > 3) {
      this.scheduleRetry(false);
      return;
    }
    this.connect(false);
  }

  private scheduleRetry(resume = true): void {
    if (!this.running) return;
    const delay = backoffDelay(this.attempts, { random: this.random, maxMs: this.maxBackoffMs });
    this.attempts++;
    setConnection(this.store, { state: "disconnected", retryAt: this.now() + delay, attempts: this.attempts });
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.running) this.connect(resume);
    }, delay);
  }

  private checkWatchdog(): void {
    if (!this.running || this.source === null) return;
    if (this.now() - this.lastMessageAt > this.watchdogMs) {
      // Reopen at once, resuming: if the server is really gone the new stream errors and the
      // usual backoff takes over; if the stream was only quiet, nothing visible happens.
      this.connect(true, this.store.getState().connection.state === "live");
    }
  }

  private closeSource(): void {
    if (this.source !== null) {
      this.source.onopen = null;
      this.source.onerror = null;
      this.source.close();
      this.source = null;
    }
  }
}
