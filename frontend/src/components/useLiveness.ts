import { useShallow } from "zustand/react/shallow";

import { useApp } from "../app/services";
import { DEFAULT_STALE_AFTER_SEC, liveness, type Liveness } from "../core/freshness";
import type { StatusMessage } from "../core/types";
import { useNow } from "./useNow";

export interface LivenessView {
  level: Liveness;
  server: StatusMessage | null;
  staleAfterSec: number;
  now: number;
}

/** The page's liveness, re-derived every second (a stream can go quiet without an event). */
export function useLiveness(): LivenessView {
  const now = useNow(1000);
  const { state, lastMessageAt, server } = useApp(
    useShallow((s) => ({ state: s.connection.state, lastMessageAt: s.connection.lastMessageAt, server: s.connection.server })),
  );
  return {
    level: liveness({ state, lastMessageAt, server }, now),
    server,
    staleAfterSec: server?.stale_after_sec ?? DEFAULT_STALE_AFTER_SEC,
    now,
  };
}
