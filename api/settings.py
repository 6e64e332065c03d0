"""The one typed settings object. Built once in an entry point and passed in; never global."""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.errors import BadInput
from graph.store_config import QUERY_MEMORY_MB, StoreConfig

log = logging.getLogger(__name__)

GRAPH_URI_SCHEMES = ("embedded", "falkordb", "neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OWNERGRAPH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(default=Path.home() / ".ownergraph", description="data directory")
    graph_uri: str = Field(default="embedded", description="embedded | falkordb://host:port | neo4j://… | bolt://…")
    graph_name: str = Field(default="ownergraph", description="FalkorDB graph key")
    neo4j_user: str = Field(default="neo4j")
    neo4j_password: SecretStr = Field(default=SecretStr(""))
    neo4j_database: str = Field(default="neo4j")
    falkordb_password: SecretStr = Field(default=SecretStr(""), description="external FalkorDB only")
    appendfsync: Literal["everysec", "always"] = "everysec"
    query_timeout_ms: int = Field(default=5000, gt=0)
    query_row_cap: int = Field(default=10_000, gt=0)
    store_query_memory_mb: int = Field(default=QUERY_MEMORY_MB, ge=0,
                                       description="embedded store: memory one query may take (0: no limit)")
    batch_size: int = Field(default=2000, gt=0, le=20_000)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, gt=0, lt=65536)
    weak_match_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    policies: list[str] = Field(default_factory=lambda: ["cn-majority", "us-treasury-50", "ultimate-parent"])
    policy_file: Path | None = None
    audit_retention_days: int = Field(default=90, ge=1, description="days screen audit files are kept")
    audit_file_max_mb: int = Field(default=64, ge=1, description="one audit file; then the day continues in the next")
    audit_max_mb: int = Field(default=2048, ge=1, description="all audit files together; then the oldest are deleted")
    max_batch_items: int = Field(default=1000, gt=0, le=10_000, description="items per POST /v1/screen/batch")
    max_body_bytes: int = Field(default=2_000_000, gt=0, description="largest accepted request body")
    import_dirs: list[Path] = Field(default_factory=list,
                                    description="folders POST /v1/ingest may read files from "
                                                "(none: ingest over the API is refused)")
    generations_keep: int = Field(default=5, ge=1, description="published generations kept for diffs and as-of reads")
    guard_max_verdict_change_pct: float = Field(default=20.0, ge=0.0, le=100.0,
                                                description="refuse to publish when more entities change verdict")
    guard_max_source_shrink_pct: float = Field(default=50.0, ge=0.0, le=100.0,
                                               description="refuse to publish when a source shrank more")
    generation_poll_seconds: float = Field(default=5.0, ge=0.0, description="how often a server looks for a newer published generation (0: never)")
    webhook_attempts: int = Field(default=4, ge=1, le=20, description="deliveries tried per event")
    webhook_backoff_seconds: float = Field(default=1.0, ge=0.0, description="first retry delay; doubles per attempt")
    webhook_timeout_seconds: float = Field(default=5.0, gt=0.0)
    webhook_schemes: list[str] = Field(default_factory=lambda: ["https"],
                                       description="URL schemes a watch may use")
    webhook_allowed_hosts: list[str] = Field(default_factory=list,
                                             description="hosts a watch may reach although they "
                                                         "are not public addresses (an admin's choice)")
    webhook_workers: int = Field(default=8, ge=1, le=64, description="deliveries sent at once")
    webhook_deadline_seconds: float = Field(default=300.0, gt=0.0,
                                            description="after a publish, deliveries not done by "
                                                        "then stay pending for `watch redeliver`")
    webhook_max_watches_per_key: int = Field(default=1000, ge=1)
    schedule_file: Path | None = Field(default=None, description="TOML file of scheduled sources")
    schedule_attempts: int = Field(default=3, ge=1, le=20, description="tries per scheduled run")
    schedule_backoff_seconds: float = Field(default=30.0, ge=0.0, description="first retry delay of a scheduled run; doubles")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False

    @field_validator("graph_uri")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = "embedded" if value in ("", "embedded") else urlparse(value).scheme
        if scheme not in GRAPH_URI_SCHEMES:
            raise ValueError(f"unsupported scheme {scheme!r}; use one of {', '.join(GRAPH_URI_SCHEMES)}")
        if scheme not in ("embedded",) and not urlparse(value).hostname:
            raise ValueError("missing host")
        return value or "embedded"

    def store_config(self) -> StoreConfig:
        return StoreConfig(
            uri=self.graph_uri,
            home=self.home,
            graph_name=self.graph_name,
            user=self.neo4j_user,
            password=self.neo4j_password.get_secret_value()
            or self.falkordb_password.get_secret_value(),
            database=self.neo4j_database,
            appendfsync=self.appendfsync,
            query_timeout_ms=self.query_timeout_ms,
            query_row_cap=self.query_row_cap,
            query_memory_mb=self.store_query_memory_mb,
            batch_size=self.batch_size,
        )


def prepare_home(home: Path) -> Path:
    """The data directory, created private (0700): it holds API keys, the store's password
    and the audit log of who was screened. One that exists is left as found (it may be a
    shared folder), with a warning when others can read it."""
    home = home.expanduser()
    if not home.exists():
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(home, 0o700)  # the mode above is masked by the umask
    elif home.stat().st_mode & 0o077:
        _warn_readable(home)
    return home


@functools.cache
def _warn_readable(home: Path) -> None:
    """Once per directory and process (the CLI and the service it starts both prepare it)."""
    log.warning("the data directory is readable by other users",
                extra={"home": str(home), "fix": f"chmod 700 {home}"})


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment / .env; a bad value raises BadInput naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        raise BadInput(
            f"invalid setting OWNERGRAPH_{field.upper()}: {first['msg']}", field=field
        ) from exc
