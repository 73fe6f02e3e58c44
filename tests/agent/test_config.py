from __future__ import annotations

import pytest

from runwatch.config import (
    NO_DEVICE,
    ClickHouseTarget,
    ConfigError,
    default_spool_dir,
    resolve_identity,
    resolve_target,
)

ENV = {"CH_HOST": "ch.internal", "CH_PORT": "18123", "CH_PROTOCOL": "https",
       "CH_DATABASE": "obs", "CH_USER": "trainer", "CH_PASSWORD": "pw"}


def test_resolve_target_when_only_environment_then_environment_used() -> None:
    assert resolve_target(ENV) == ClickHouseTarget("ch.internal", 18123, "https", "obs", "trainer", "pw")


def test_resolve_target_when_explicit_arguments_then_they_beat_environment() -> None:
    target = resolve_target(ENV, host="10.0.0.1", port=9000, protocol="http", database="other",
                            user="u", password="")
    assert target == ClickHouseTarget("10.0.0.1", 9000, "http", "other", "u", "")


def test_resolve_target_when_nothing_set_then_defaults() -> None:
    assert resolve_target({}) == ClickHouseTarget()
    assert ClickHouseTarget().describe() == "http://127.0.0.1:8123/training_observability"


@pytest.mark.parametrize(
    "env", [{"CH_PORT": "x"}, {"CH_PORT": "0"}, {"CH_PROTOCOL": "tcp"}, {"CH_DATABASE": "a-b"}]
)
def test_resolve_target_when_value_unusable_then_config_error(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        resolve_target(env)


def test_resolve_identity_when_distributed_environment_then_rank_and_local_gpu() -> None:
    identity = resolve_identity({"RANK": "3", "LOCAL_RANK": "1", "RUNWATCH_RUN_ID": "job-42"},
                                host="node7")
    assert (identity.run_id, identity.host, identity.rank, identity.device, identity.local_rank) == (
        "job-42", "node7", 3, 1, 1)


def test_resolve_identity_when_explicit_then_beats_environment() -> None:
    identity = resolve_identity({"RANK": "3", "RUNWATCH_RUN_ID": "env-id"}, run_id="arg-id",
                                rank=0, device=7)
    assert (identity.run_id, identity.rank, identity.device) == ("arg-id", 0, 7)


def test_resolve_identity_when_single_process_then_rank_zero_no_device_generated_id() -> None:
    first, second = resolve_identity({}), resolve_identity({})
    assert first.rank == 0 and first.device == NO_DEVICE and first.local_rank is None
    assert first.run_id != second.run_id and len(first.run_id) == 16


@pytest.mark.parametrize("run_id", ["", "a b", "../x", "-x", "x" * 129])
def test_resolve_identity_when_run_id_unusable_then_config_error(run_id: str) -> None:
    with pytest.raises(ConfigError):
        resolve_identity({"RUNWATCH_RUN_ID": run_id} if run_id else {}, run_id=run_id or "a/b")


def test_default_spool_dir_when_env_set_then_used_else_cache_dir() -> None:
    assert str(default_spool_dir({"RUNWATCH_SPOOL_DIR": "/data/spool"})) == "/data/spool"
    assert str(default_spool_dir({"XDG_CACHE_HOME": "/c"})) == "/c/runwatch/spool"
