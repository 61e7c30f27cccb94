"""Alembic environment for the platform schema."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import text

from app.core.db import PLATFORM_SCHEMA

from app.core.logs import logging_configured

config = context.config
if config.config_file_name and not logging_configured():
    # Run through the app (flask db, tenants migrate, make run), logging is set up already:
    # fileConfig would replace its handlers, leaving them bound to a CLI runner's stream.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")
target_db = current_app.extensions["migrate"].db


def include_object(obj, name, type_, reflected, compare_to):
    schema = getattr(obj, "schema", None) if type_ == "table" else getattr(getattr(obj, "table", None), "schema", None)
    return schema in (PLATFORM_SCHEMA, None) if type_ != "table" else schema == PLATFORM_SCHEMA


def run_migrations_online():
    engine = target_db.engine
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{PLATFORM_SCHEMA}"'))
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            version_table_schema=PLATFORM_SCHEMA,
            include_schemas=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
