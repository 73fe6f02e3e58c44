"""Apply the schema in `sql/` to a ClickHouse database, once per file.

Files are named `NNN_name.sql` and applied in order. Each applied file is recorded in
`schema_migrations` with a checksum, so a second `runwatch migrate` does nothing; a file that
changed after it was applied is reported rather than silently re-run (its statements use
IF NOT EXISTS, so re-running by hand is safe, but a changed ALTER would not be).

The database name is the one identifier spliced into SQL text (DDL cannot bind it); it is
validated first. Every other statement runs unqualified inside that database.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runwatch.server import assets

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MIGRATION_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version
"""


class SchemaError(RuntimeError):
    """The schema in sql/ and the database disagree in a way migrate cannot settle."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]

    def statements(self) -> list[str]:
        """The file's statements, without comment lines (the files hold no ';' in literals)."""
        body = "\n".join(
            line for line in self.sql.splitlines() if not line.lstrip().startswith("--")
        )
        return [stmt.strip() for stmt in body.split(";") if stmt.strip()]


def default_sql_dir() -> Path:
    """The copy of `sql/` shipped inside the wheel, or the checkout's."""
    found = assets.sql_dir()
    if found is None:
        raise SchemaError(f"no sql/ directory found near {Path(__file__).parent}")
    return found


def load_migrations(sql_dir: Path | None = None) -> list[Migration]:
    directory = sql_dir or default_sql_dir()
    migrations = []
    for path in sorted(directory.iterdir()):
        match = _MIGRATION_FILE.match(path.name)
        if match:
            migrations.append(Migration(int(match.group(1)), path.stem, path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise SchemaError(f"two sql files share a version number in {directory}")
    return migrations


def validate_database_name(database: str) -> str:
    if not _IDENTIFIER.match(database):
        raise SchemaError(f"database name must match {_IDENTIFIER.pattern}: {database!r}")
    return database


def apply_schema(
    client: Any, database: str, sql_dir: Path | None = None, cluster: str | None = None,
    on_file: Callable[[str], None] = lambda name: None,
) -> list[str]:
    """Create `database` if needed and apply the migrations it lacks; return their names.

    `client` is a clickhouse_connect client; its own default database does not matter. With
    `cluster`, the database is created ON CLUSTER and the files default to sql/cluster/ (whose
    DDL carries its own ON CLUSTER '{cluster}' clauses).
    """
    validate_database_name(database)
    on_cluster = ""
    if cluster is not None:
        on_cluster = f" ON CLUSTER `{validate_database_name(cluster)}`"
        sql_dir = sql_dir or default_sql_dir() / "cluster"
    client.command(f"CREATE DATABASE IF NOT EXISTS `{database}`{on_cluster}")
    in_db = {"database": database}
    client.command(_MIGRATIONS_TABLE, settings=in_db)
    applied = {
        int(row[0]): (row[1], row[2])
        for row in client.query(
            "SELECT version, argMax(name, applied_at), argMax(checksum, applied_at) "
            "FROM schema_migrations GROUP BY version",
            settings=in_db,
        ).result_rows
    }
    newly_applied = []
    for migration in load_migrations(sql_dir):
        if migration.version in applied:
            name, checksum = applied[migration.version]
            if checksum != migration.checksum:
                raise SchemaError(
                    f"{migration.name}.sql changed after it was applied to {database} "
                    f"(recorded {name} {checksum}); add a new numbered file instead"
                )
            on_file(migration.name)
            continue
        for statement in migration.statements():
            client.command(statement, settings=in_db)
        client.insert(
            "schema_migrations",
            [[migration.version, migration.name, migration.checksum]],
            column_names=["version", "name", "checksum"],
            database=database,
        )
        newly_applied.append(migration.name)
        on_file(migration.name)
    return newly_applied
