/**
 * The hook through which firing alerts reach the health board's tiles. The board does not
 * evaluate anything: an alerts module (issue 10) calls `setBoardAlertSource` once with a
 * function from run id to its firing alerts, and each tile shows them and takes the worst
 * severity as its colour. Without a source every tile shows none.
 */
export interface BoardAlert {
  name: string;
  severity: "critical" | "warning";
}

export type BoardAlertSource = (runId: string) => readonly BoardAlert[];

let source: BoardAlertSource = () => [];

export function setBoardAlertSource(next: BoardAlertSource | null): void {
  source = next ?? (() => []);
}

export function boardAlerts(runId: string): readonly BoardAlert[] {
  return source(runId);
}
