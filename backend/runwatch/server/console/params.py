"""Query parameters of a console request as ClickHouse's HTTP interface wants them (pure).

Values are bound server-side (`{run_ids:Array(String)}` in the text, `param_run_ids=['a','b']`
in the URL); clickhouse-connect's own formatter writes each value in the text form ClickHouse
parses, so quoting is never ours to get wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from clickhouse_connect.driver.binding import format_bind_value

ParamValue = str | int | float | bool | None | list[str | int | float | bool | None]

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_PARAMS = 64


class BadParams(ValueError):
    pass


def url_params(params: Mapping[str, ParamValue]) -> list[tuple[str, str]]:
    """[("param_<name>", text)] for each parameter; BadParams for a name ClickHouse would not take."""
    if len(params) > MAX_PARAMS:
        raise BadParams(f"at most {MAX_PARAMS} parameters")
    out = []
    for name, value in params.items():
        if not NAME.match(name):
            raise BadParams(f"parameter names are identifiers ([A-Za-z_][A-Za-z0-9_]*), got {name!r}")
        if isinstance(value, bool):
            value = int(value)
        out.append((f"param_{name}", str(format_bind_value(value))))
    return out
