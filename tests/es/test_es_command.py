"""`brandmon es setup` and `brandmon es migrate` as an operator runs them."""

from __future__ import annotations

from monitor.store.elastic_schema import MAPPING_VERSION, Layout, install, live_version
from monitor.queue import SCORED, WorkQueue
from tests.daemon.conftest import brandmon
from tests.es.node import config_file
from tests.store.records import mention


def test_setup_creates_the_indices_once_and_then_reports_them_up_to_date(es_url, es_prefix, es, tmp_path):
    config = config_file(tmp_path, es_url, es_prefix)
    first = brandmon("es", "setup", "-c", str(config))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"created '{es_prefix}' at mapping version {MAPPING_VERSION}")
    assert es.indices.exists_alias(name=f"{es_prefix}-incidents")
    again = brandmon("es", "setup", "-c", str(config))
    assert again.returncode == 0 and "already up to date" in again.stdout


def test_setup_reports_an_older_live_mapping_and_migrate_brings_it_up(es_url, es_prefix, es, tmp_path):
    install(es, Layout(es_prefix, version=MAPPING_VERSION - 1))
    config = config_file(tmp_path, es_url, es_prefix)
    setup = brandmon("es", "setup", "-c", str(config))
    assert setup.returncode == 1
    assert f"mapping version {MAPPING_VERSION - 1}" in setup.stderr and "brandmon es migrate" in setup.stderr
    assert live_version(es, es_prefix) == MAPPING_VERSION - 1  # reported, not changed
    queue = WorkQueue(tmp_path / "state" / "queue")
    queue.put_mentions([mention(1, 0)], SCORED)  # kept while the mapping was old
    queue.close()
    migrated = brandmon("es", "migrate", "-c", str(config))
    assert migrated.returncode == 0, migrated.stderr
    assert f"from version {MAPPING_VERSION - 1} to {MAPPING_VERSION}" in migrated.stdout
    assert "1 mentions (1 items) wait in the queue" in migrated.stdout
    assert brandmon("es", "setup", "-c", str(config)).returncode == 0


def test_setup_says_plainly_when_the_cluster_cannot_be_reached(tmp_path):
    proc = brandmon("es", "setup", "-c", str(config_file(tmp_path, "http://127.0.0.1:9", "brandmon-x")))
    assert proc.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in proc.stderr and "Traceback" not in proc.stderr


def test_es_commands_need_an_elasticsearch_section(tmp_path):
    proc = brandmon("es", "setup", "-c", str(config_file(tmp_path)))
    assert proc.returncode == 2
    assert "store.elasticsearch is not set" in proc.stderr


def test_the_daemon_refuses_to_start_on_a_mapping_that_needs_migrating(es_url, es_prefix, es, tmp_path):
    install(es, Layout(es_prefix, version=MAPPING_VERSION - 1))
    proc = brandmon("run", "-c", str(config_file(tmp_path, es_url, es_prefix)), timeout=60)
    assert proc.returncode != 0
    assert "run `brandmon es migrate`" in proc.stderr
    assert live_version(es, es_prefix) == MAPPING_VERSION - 1


def test_a_complaint_s_status_is_a_keyword_kibana_can_filter_on(es, elastic_store):
    from monitor.store.base import Query
    from tests.store.records import mention

    complaint = mention(1, 0)
    complaint.status = "处理中"
    elastic_store.upsert([complaint, mention(2, 1)])
    assert elastic_store.count(Query()) == 2
    found = es.search(index=elastic_store.layout.mentions, query={"term": {"status": "处理中"}})
    assert [hit["_source"]["id"] for hit in found["hits"]["hits"]] == ["forum:1"]
