"""The Kibana saved objects: what `brandmon kibana import` sends (to a local stand-in for Kibana's import
API, which cannot run here), and that every field they use exists in the live mapping with a type
that fits how they use it."""

from __future__ import annotations

import json
import re
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.kibana_objects import SHIPPED, saved_objects
from tests.daemon.conftest import brandmon
from tests.es.node import config_file
from tests.store.records import incident, mention

AGGREGATABLE = {"keyword", "long", "integer", "float", "double", "date", "boolean"}


class FakeKibanaImport:
    """Kibana's saved-objects import endpoint: records each request and answers `reply`."""

    def __init__(self, reply: dict) -> None:
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests.append({"path": self.path, "headers": self.headers, "body": body})  # names: any case
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def uploaded(self) -> list[dict]:
        """The NDJSON file of the one request, parsed as a mail parser reads multipart bodies."""
        [request] = self.requests
        raw = f"Content-Type: {request['headers']['Content-Type']}\r\n\r\n".encode() + request["body"]
        [part] = message_from_bytes(raw, policy=policy.HTTP).iter_parts()
        assert part.get_param("name", header="content-disposition") == "file"
        assert part.get_filename().endswith(".ndjson")
        return [json.loads(line) for line in part.get_payload(decode=True).decode("utf-8").splitlines()]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def kibana():
    fake = FakeKibanaImport({"success": True, "successCount": 11})
    yield fake
    fake.stop()


def test_import_posts_the_objects_as_kibanas_import_api_expects(kibana, tmp_path):
    config = config_file(tmp_path, "http://127.0.0.1:9", prefix="acme", kibana_url=kibana.url)
    proc = brandmon("kibana", "import", "-c", str(config))
    assert proc.returncode == 0, proc.stderr
    assert "imported 11 objects" in proc.stdout
    [request] = kibana.requests
    assert request["path"] == "/api/saved_objects/_import?overwrite=true"
    assert request["headers"]["kbn-xsrf"]
    assert request["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    objects = kibana.uploaded()
    views = {o["attributes"]["title"]: o["attributes"]["timeFieldName"] for o in objects if o["type"] == "index-pattern"}
    assert views == {"acme-mentions": "@timestamp", "acme-incidents": "opened_at"}
    searches = {o["attributes"]["title"] for o in objects if o["type"] == "search"}
    assert {"负面提及", "提及：星河手机", "提及：云朵奶茶"} <= searches
    [dashboard] = [o for o in objects if o["type"] == "dashboard"]
    ids = {o["id"] for o in objects}
    assert all(r["id"] in ids for o in objects for r in o["references"])  # nothing dangles
    assert len(json.loads(dashboard["attributes"]["panelsJSON"])) == len(dashboard["references"]) == 6


def test_import_into_a_space_uses_its_path(kibana, tmp_path):
    config = config_file(tmp_path, kibana_url=kibana.url)
    assert brandmon("kibana", "import", "-c", str(config), "--space", "pr-team").returncode == 0
    assert kibana.requests[0]["path"] == "/s/pr-team/api/saved_objects/_import?overwrite=true"


def test_import_reports_what_kibana_refused(tmp_path):
    fake = FakeKibanaImport({"success": False, "successCount": 10, "errors": [
        {"id": "brandmon-dashboard", "type": "dashboard", "error": {"type": "missing_references"}}]})
    try:
        proc = brandmon("kibana", "import", "-c", str(config_file(tmp_path)), "--url", fake.url)
    finally:
        fake.stop()
    assert proc.returncode == 1
    assert "dashboard brandmon-dashboard" in proc.stderr and "missing_references" in proc.stderr


def test_import_without_a_kibana_url_is_a_usage_error(tmp_path):
    proc = brandmon("kibana", "import", "-c", str(config_file(tmp_path)))
    assert proc.returncode == 2 and "--url" in proc.stderr


def flat_types(properties: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for name, spec in properties.items():
        if "properties" in spec:
            out.update(flat_types(spec["properties"], f"{prefix}{name}."))
        else:
            out[prefix + name] = spec.get("type", "object")
            out.update({f"{prefix}{name}.{sub}": s["type"] for sub, s in spec.get("fields", {}).items()})
    return out


def used_fields(obj: dict) -> list[tuple[str, str]]:
    """(field, how it is used) for every field an object names: time, column, sort, query, or an aggregation."""
    a = obj["attributes"]
    uses = []
    if obj["type"] == "index-pattern":
        uses.append((a["timeFieldName"], "date_histogram"))
    uses += [(c, "column") for c in a.get("columns", [])]
    uses += [(field, "sort") for field, _ in a.get("sort", [])]
    source = json.loads(a.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON", "{}"))
    query = source.get("query", {}).get("query", "")
    uses += [(field, "terms") for field in re.findall(r"([\w.@]+)\s*:", query)]
    if "visState" in a:
        for agg in json.loads(a["visState"])["aggs"]:
            if "field" in agg["params"]:
                uses.append((agg["params"]["field"], agg["type"]))
    return uses


def test_every_field_the_saved_objects_use_exists_in_the_live_mapping_with_a_fitting_type(elastic_store, es,
                                                                                           es_prefix):
    elastic_store.upsert([mention(1, 0)])
    elastic_store.save_incident(incident(1))
    objects = saved_objects(SHIPPED.read_text(encoding="utf-8"), es_prefix, ["星河手机"])
    titles = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    live = {}
    for title in titles.values():
        [mapping] = es.indices.get_mapping(index=title).values()
        live[title] = flat_types(mapping["mappings"]["properties"])
    checked = 0
    for obj in objects:
        views = [titles[r["id"]] for r in obj["references"] if r["type"] == "index-pattern"]
        if obj["type"] == "index-pattern":
            views = [obj["attributes"]["title"]]
        for field, use in used_fields(obj):
            for view in views:
                kind = live[view].get(field)
                assert kind, f"{obj['id']}: {field} is not in the mapping of {view}"
                if use == "date_histogram":
                    assert kind == "date", f"{obj['id']}: {field} is {kind}, not a date"
                elif use in ("terms", "sort"):
                    assert kind in AGGREGATABLE, f"{obj['id']}: {field} is {kind}: cannot {use} on it"
                checked += 1
    assert checked >= 25
