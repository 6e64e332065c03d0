"""What every sub-command reaches through the click context: the one settings object.

Settings are built on first use, not by the root callback: ``--help`` and commands that
need none never pay for reading the environment (pydantic-settings alone takes ~0.3 s to
import). Logging is configured at that moment, from those settings, once per command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from api.settings import Settings


def settings_from(ctx: typer.Context) -> Settings:
    """The settings of this command line (built once, on first use; a bad value raises
    BadInput naming the variable)."""
    root = ctx.find_root()
    if root.obj is None:
        from api.logs import configure_logging
        from api.settings import load_settings, prepare_home

        settings = load_settings()
        configure_logging(settings.log_level, settings.log_json)
        prepare_home(settings.home)
        root.obj = settings
    return root.obj  # type: ignore[no-any-return]
