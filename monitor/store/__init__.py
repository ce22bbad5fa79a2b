"""Stores: `open_store(config)` picks the backend the config names."""

from __future__ import annotations

from monitor.config.model import Config
from monitor.store.base import Query, Store, StoreUnavailable, UpsertResult

__all__ = ["Query", "Store", "StoreUnavailable", "UpsertResult", "open_store"]


def open_store(config: Config) -> Store:
    if config.store.backend == "elasticsearch":
        from monitor.store.elastic import ElasticStore

        return ElasticStore(config.store.elasticsearch, retention=config.store.retention)
    from monitor.store.sqlite import SqliteStore

    return SqliteStore(config.store.path or config.state_dir / "brandmon.db", config.store.retention)
