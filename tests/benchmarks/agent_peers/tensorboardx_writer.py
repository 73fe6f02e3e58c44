"""tensorboardX: SummaryWriter.add_scalar() once per scalar; close() flushes the event file."""

from __future__ import annotations

from _harness import Session, run_standard


def setup(workdir: str, opts: dict[str, str]) -> Session:
    import tensorboardX
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(logdir=workdir)
    add_scalar = writer.add_scalar

    def log(metrics: dict[str, float], step: int) -> None:
        for name, value in metrics.items():
            add_scalar(name, value, step)

    return Session(log=log, finish=writer.close, meta={"version": tensorboardX.__version__})


if __name__ == "__main__":
    run_standard(setup)
