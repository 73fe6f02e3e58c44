"""Floor: appending the same 10 values to a plain Python list (what any log() costs at least)."""

from __future__ import annotations

from _harness import Session, run_standard


def setup(workdir: str, opts: dict[str, str]) -> Session:
    buf: list[tuple[int, str, float]] = []
    append = buf.append

    def log(metrics: dict[str, float], step: int) -> None:
        for name, value in metrics.items():
            append((step, name, value))

    return Session(log=log, finish=lambda: None, count_stored=buf.__len__)


if __name__ == "__main__":
    run_standard(setup)
