from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runwatch.write.batch import Batch
from runwatch.write.spool import (
    MAGIC,
    Spool,
    SpoolError,
    compressed,
    decode_file,
    encode_file,
    spool_directories,
)


def batch(n: int, body: bytes = b"x" * 100) -> Batch:
    return Batch("metric_points", ("a", "b"), body + bytes([n % 256]), n, "db", token=f"t{n}")


def test_encode_file_when_decoded_then_same_batch() -> None:
    original = batch(5)
    assert decode_file(encode_file(original)) == original
    assert encode_file(original).startswith(MAGIC)


def test_put_when_stored_then_body_lz4_compressed_with_token_kept(tmp_path: Path) -> None:
    import lz4.frame

    original = batch(7, body=b"abc" * 10_000)
    spool = Spool(tmp_path / "p", max_bytes=1 << 20)
    spool.put(original)
    stored = spool.oldest()
    assert stored is not None
    assert (stored.encoding, stored.token, stored.points) == ("lz4", "t7", 7)
    assert lz4.frame.decompress(stored.body) == original.body
    assert spool.bytes < len(original.body) // 10
    spool.pop()
    spool.close()


@pytest.mark.parametrize("cut", [0, 5, 12, 40, -1])
def test_decode_file_when_truncated_then_spool_error(cut: int) -> None:
    data = encode_file(batch(1))
    with pytest.raises(SpoolError):
        decode_file(data[:cut])


def test_decode_file_when_body_corrupted_then_spool_error() -> None:
    data = bytearray(encode_file(batch(1)))
    data[-3] ^= 0xFF
    with pytest.raises(SpoolError):
        decode_file(bytes(data))


def test_put_when_reopened_by_another_spool_then_batches_in_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "p", max_bytes=1 << 20)
    for n in range(1, 4):
        spool.put(batch(n))
    spool.close()
    again = Spool(tmp_path / "p", max_bytes=1 << 20).open()
    tokens = []
    while (item := again.oldest()) is not None:
        tokens.append(item.token)
        again.pop()
    assert tokens == ["t1", "t2", "t3"]
    again.close()
    assert not (tmp_path / "p").exists()


def test_put_when_over_max_bytes_then_oldest_dropped_and_counted(tmp_path: Path) -> None:
    one = len(encode_file(compressed(batch(1))))
    spool = Spool(tmp_path / "p", max_bytes=3 * one)
    dropped = sum(spool.put(batch(n)) for n in range(1, 6))
    assert dropped == 1 + 2
    assert spool.dropped_points == 3
    assert [decode_file(p.read_bytes()).token for p in sorted((tmp_path / "p").glob("*.rwb"))] == [
        "t3", "t4", "t5"]
    assert spool.points == 12
    spool.close()


def test_open_when_stray_tmp_and_corrupt_files_then_ignored_and_set_aside(tmp_path: Path) -> None:
    directory = tmp_path / "p"
    spool = Spool(directory, max_bytes=1 << 20)
    spool.put(batch(1))
    spool.put(batch(2))
    spool.close()
    (directory / "000000000002.tmp").write_bytes(encode_file(batch(3))[:20])  # killed mid-write
    good = sorted(directory.glob("*.rwb"))
    good[0].write_bytes(good[0].read_bytes()[:-5])  # damaged after the fact
    spool = Spool(directory, max_bytes=1 << 20).open()
    assert not list(directory.glob("*.tmp"))
    item = spool.oldest()
    assert item is not None and item.token == "t2"
    assert list(directory.glob("*.corrupt"))
    spool.close()


def test_open_when_directory_locked_by_live_process_then_spool_error(tmp_path: Path) -> None:
    directory = tmp_path / "p"
    holder = Spool(directory, max_bytes=1 << 20).open()
    # flock locks belong to the open file description: a second process is refused
    code = (
        "import sys; from pathlib import Path; from runwatch.write.spool import Spool, SpoolError\n"
        "try:\n    Spool(Path(sys.argv[1]), max_bytes=1).open()\n"
        "except SpoolError:\n    sys.exit(3)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(directory)], cwd=os.getcwd())
    assert result.returncode == 3
    holder.close()
    result = subprocess.run([sys.executable, "-c", code, str(directory)], cwd=os.getcwd())
    assert result.returncode == 0


def test_spool_directories_when_nested_then_each_directory_once(tmp_path: Path) -> None:
    for name in ("run1/h-1-1", "run1/h-2-2", "run2/h-3-3"):
        spool = Spool(tmp_path / name, max_bytes=1 << 20)
        spool.put(batch(1))
        spool.put(batch(2))
        spool.close()
    assert [p.relative_to(tmp_path).as_posix() for p in spool_directories(tmp_path)] == [
        "run1/h-1-1", "run1/h-2-2", "run2/h-3-3"]
