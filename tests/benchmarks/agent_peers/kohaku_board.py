"""KohakuBoard 0.0.1: Board.log(**scalars) enqueues to a writer process; finish() drains it."""

from __future__ import annotations

import glob
import os
import sqlite3

from _harness import Session, run_standard


def setup(workdir: str, opts: dict[str, str]) -> Session:
    from kohakuboard.client import Board

    board = Board(
        name="bench",
        project="bench",
        base_dir=workdir,
        config={"lr": 3e-4, "batch_size": 256},
        capture_output=False,
    )

    def log(metrics: dict[str, float], step: int) -> None:
        # Board.log auto-increments its own step once per call, i.e. once per training step.
        board.log(**metrics)

    def count_stored() -> int:
        total = 0
        for path in glob.glob(os.path.join(str(board.board_dir), "data", "metrics", "*.db")):
            with sqlite3.connect(path) as db:
                total += db.execute(
                    "SELECT length FROM kvault_col_columns WHERE name = 'value'"
                ).fetchone()[0]
        return total

    return Session(log=log, finish=board.finish, count_stored=count_stored)


if __name__ == "__main__":
    run_standard(setup)
