"""Key-value logging, configured only by entry points (CLI, server)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    """``ts level logger event key=value …``; extra fields come from ``logger.info(..., extra=)``."""

    def __init__(self, as_json: bool = False) -> None:
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")
        }
        if self.as_json:
            doc = {"ts": self.formatTime(record), "level": record.levelname,
                   "logger": record.name, "event": record.getMessage(), **fields}
            return json.dumps(doc, default=str)
        kv = " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        line = f"{self.formatTime(record)} {record.levelname} {record.name} {record.getMessage()}"
        return f"{line} {kv}" if kv else line


def _quote(value: Any) -> str:
    text = str(value)
    return json.dumps(text) if (" " in text or "=" in text or not text) else text


def configure_logging(level: str = "INFO", as_json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter(as_json=as_json))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("neo4j", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
