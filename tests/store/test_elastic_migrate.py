"""A changed mapping is applied by `migrate`, never silently: the store refuses older indices, and the
migration copies everything to the new version before the aliases move."""

from __future__ import annotations

import pytest

from monitor.config.model import ElasticConfig
from monitor.store.base import Query, StoreUnavailable
from monitor.store.elastic import ElasticStore
from monitor.store.elastic_migrate import migrate
from monitor.store.elastic_schema import MAPPING_VERSION, Layout, MappingOutdated, install, live_version, mention_doc
from tests.store.records import incident, mention

OLD = MAPPING_VERSION - 1


@pytest.fixture
def old_cluster(es, es_prefix):
    """Indices as an older brandmon left them: two months of mentions, an incident, some state."""
    old = Layout(es_prefix, version=OLD)
    install(es, old)
    mentions = [mention(1, 0), mention(2, 5), mention(3, 60 * 24 * 10)]
    for m in mentions:
        es.index(index=old.month_index(m.published_at), id=m.id, document=mention_doc(m))
    es.index(index=old.alias("incidents"), id="INC-1", document=incident(1).to_dict())
    es.index(index=old.alias("state"), id="cursor", document={"key": "cursor", "value": {"page": 2}})
    es.indices.refresh(index=f"{es_prefix}-*")
    return old


@pytest.fixture
def store_for(es_url, tmp_path):
    def make(prefix: str) -> ElasticStore:
        return ElasticStore(ElasticConfig(url=es_url, index_prefix=prefix))
    return make


def test_the_store_refuses_indices_of_an_older_mapping_and_says_to_migrate(old_cluster, store_for, es_prefix):
    store = store_for(es_prefix)
    with pytest.raises(MappingOutdated, match="brandmon es migrate"):
        store.ensure_setup()
    with pytest.raises(StoreUnavailable, match="brandmon es migrate"):
        store.upsert([mention(4, 1)])  # the caller keeps it in its queue until the migration


def test_migrate_copies_everything_then_moves_the_aliases_and_drops_the_old_indices(old_cluster, store_for, es,
                                                                                      es_prefix):
    done = migrate(es, es_prefix)
    assert (done.from_version, done.to_version) == (OLD, MAPPING_VERSION)
    assert +done.copied == {"mentions": 3, "incidents": 1, "state": 1}
    assert live_version(es, es_prefix) == MAPPING_VERSION
    assert all(f"-v{MAPPING_VERSION}" in name for name in es.indices.get(index=f"{es_prefix}-*"))
    store = store_for(es_prefix)
    assert store.ensure_setup() == "ok"
    assert store.count(Query()) == 3
    assert store.get_incident("INC-1").title == incident(1).title
    assert store.get_state("cursor") == {"page": 2}


def test_migrating_again_changes_nothing(old_cluster, es, es_prefix):
    migrate(es, es_prefix)
    again = migrate(es, es_prefix)
    assert again.from_version == MAPPING_VERSION and not again.copied


def test_an_interrupted_migration_can_be_run_again(old_cluster, es, es_prefix):
    new = Layout(es_prefix)
    early = mention(1, 0)
    es.index(index=new.month_index(early.published_at), id=early.id, document=mention_doc(early), refresh=True)
    migrate(es, es_prefix)
    assert es.count(index=f"{es_prefix}-mentions")["count"] == 3
