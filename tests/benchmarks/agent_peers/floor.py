"""Floor: appending the same 10 values to a plain Python list (what any log() costs at least).

``kind=tuples`` (the default, the floor the targets use) appends ``(step, name, value)`` per
scalar, i.e. keeps what a log() must keep; ``kind=values`` appends the bare floats, which
allocates nothing the garbage collector tracks and so has a much lower tail.
"""

from __future__ import annotations

from _harness import Session, run_standard


def setup(workdir: str, opts: dict[str, str]) -> Session:
    buf: list[object] = []
    append = buf.append

    if opts.get("kind", "tuples") == "values":

        def log(metrics: dict[str, float], step: int) -> None:
            for value in metrics.values():
                append(value)

    else:

        def log(metrics: dict[str, float], step: int) -> None:
            for name, value in metrics.items():
                append((step, name, value))

    return Session(log=log, finish=lambda: None, count_stored=buf.__len__)


if __name__ == "__main__":
    run_standard(setup)
