"""tensorboardX: SummaryWriter.add_scalar() once per scalar; close() flushes the event file."""

from __future__ import annotations

import glob
import os
import struct

from _harness import Session, run_standard


def setup(workdir: str, opts: dict[str, str]) -> Session:
    import tensorboardX
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(logdir=workdir)
    add_scalar = writer.add_scalar

    def log(metrics: dict[str, float], step: int) -> None:
        for name, value in metrics.items():
            add_scalar(name, value, step)

    def count_stored() -> int:
        """Events in the TFRecord file(s): u64 length, u32 crc, payload, u32 crc; minus the
        file_version event that opens each file."""
        events = 0
        for path in glob.glob(os.path.join(workdir, "events.out.tfevents.*")):
            with open(path, "rb") as f:
                data = f.read()
            pos = 0
            while pos + 12 <= len(data):
                (length,) = struct.unpack_from("<Q", data, pos)
                pos += 12 + length + 4
                events += 1
            events -= 1
        return events

    return Session(
        log=log,
        finish=writer.close,
        meta={"version": tensorboardX.__version__},
        count_stored=count_stored,
    )


if __name__ == "__main__":
    run_standard(setup)
