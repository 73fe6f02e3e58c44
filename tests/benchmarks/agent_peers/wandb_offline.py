"""wandb in offline mode: run.log() hands each step to the wandb-core process over a socket."""

from __future__ import annotations

import os

from _harness import Session, run_standard


def setup(workdir: str, opts: dict[str, str]) -> Session:
    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_DIR"] = workdir
    os.environ["WANDB_SILENT"] = "true"
    import wandb

    run = wandb.init(
        project="bench",
        name="bench",
        dir=workdir,
        mode="offline",
        config={"lr": 3e-4, "batch_size": 256},
        # Like runwatch's system_metrics=False here: no system sampler, no console capture.
        settings=wandb.Settings(x_disable_stats=True, console="off", save_code=False),
    )

    def log(metrics: dict[str, float], step: int) -> None:
        run.log(metrics, step=step)

    return Session(log=log, finish=run.finish, meta={"version": wandb.__version__})


if __name__ == "__main__":
    run_standard(setup)
