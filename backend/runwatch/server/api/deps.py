"""Dependency aliases: route handlers reach the runtime's parts through these."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runwatch.server.api.runtime import Runtime
from runwatch.server.compare.cache import CompareCache
from runwatch.server.live.broadcaster import Broadcaster
from runwatch.server.live.cache import SeriesCache
from runwatch.server.live.poller import Poller
from runwatch.server.query.clients import ClientPool
from runwatch.server.settings import Settings
from runwatch.server.tabs import TabsConfig


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


def get_cache(runtime: RuntimeDep) -> SeriesCache:
    return runtime.cache


def get_broadcaster(runtime: RuntimeDep) -> Broadcaster:
    return runtime.broadcaster


def get_poller(runtime: RuntimeDep) -> Poller:
    return runtime.poller


def get_clickhouse(runtime: RuntimeDep) -> ClientPool:
    return runtime.pool


def get_compare_cache(runtime: RuntimeDep) -> CompareCache:
    return runtime.compare


def get_tabs(runtime: RuntimeDep) -> TabsConfig:
    return runtime.tabs


SettingsDep = Annotated[Settings, Depends(get_settings)]
CacheDep = Annotated[SeriesCache, Depends(get_cache)]
BroadcasterDep = Annotated[Broadcaster, Depends(get_broadcaster)]
PollerDep = Annotated[Poller, Depends(get_poller)]
ClickHouseDep = Annotated[ClientPool, Depends(get_clickhouse)]
TabsDep = Annotated[TabsConfig, Depends(get_tabs)]
CompareCacheDep = Annotated[CompareCache, Depends(get_compare_cache)]
