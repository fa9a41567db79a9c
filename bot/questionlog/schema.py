"""The question log's schema: migrations run through alembic (``bot.questionlog.db.upgrade``
imports this module only when it migrates: a process that writes rows never loads alembic)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from bot.questionlog.db import ALEMBIC_INI, MIGRATIONS_DIR


def alembic_config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine, url: str, revision: str = "head", downgrade: bool = False) -> None:
    """Upgrade (or downgrade) the schema at ``url`` to ``revision`` on ``engine``."""
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(config, revision)
