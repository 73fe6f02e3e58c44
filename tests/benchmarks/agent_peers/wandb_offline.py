"""wandb in offline mode: run.log() hands each step to the wandb-core process over a socket."""

from __future__ import annotations

import glob
import os
import struct

from _harness import Session, run_standard

_BLOCK = 32768  # the .wandb file is a LevelDB-style log: 7-byte chunk headers in 32 KiB blocks
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def count_history_items(path: str) -> int:
    """Scalars in the history records of a .wandb file (keys starting with '_' excluded)."""
    from wandb.proto import wandb_internal_pb2 as pb

    with open(path, "rb") as f:
        data = f.read()
    pos, pending, items = 7, b"", 0  # 7: the ':W&B' file header
    while pos + 7 <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < 7:
            pos += left
            continue
        _crc, length, kind = struct.unpack_from("<IHB", data, pos)
        if kind == 0 and length == 0:
            pos += left
            continue
        chunk = data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (_FIRST, _MIDDLE):
            pending = chunk if kind == _FIRST else pending + chunk
            continue
        record = pb.Record()
        record.ParseFromString(chunk if kind == _FULL else pending + chunk)
        if record.WhichOneof("record_type") == "history":
            for item in record.history.item:
                name = item.key or "/".join(item.nested_key)
                items += not name.startswith("_")
    return items


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

    def count_stored() -> int:
        # wandb/latest-run is a symlink to the run's directory: count each file once.
        files = {
            os.path.realpath(f) for f in glob.glob(os.path.join(workdir, "wandb", "*", "*.wandb"))
        }
        return sum(count_history_items(f) for f in files)

    return Session(
        log=log, finish=run.finish, meta={"version": wandb.__version__}, count_stored=count_stored
    )


if __name__ == "__main__":
    run_standard(setup)
