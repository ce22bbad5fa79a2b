"""brandmon's Kibana saved objects (kibana/brandmon.ndjson, written for the index prefix `brandmon`),
renamed for the configured prefix with a saved search per brand added, and sent to Kibana's
saved-objects import API."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from pathlib import Path
from urllib.request import Request, urlopen

SHIPPED = Path(__file__).resolve().parents[1] / "kibana" / "brandmon.ndjson"
FILE_PREFIX = "brandmon"  # the index prefix the shipped file is written for
NEGATIVE_SEARCH = "brandmon-search-negative"  # per-brand searches are made in its image


def _renamed(name: str, prefix: str) -> str:
    return prefix + name[len(FILE_PREFIX):] if name.startswith(FILE_PREFIX + "-") else name


def saved_objects(text: str, prefix: str, brands: list[str]) -> list[dict]:
    """The file's objects for this index prefix, plus one saved search per brand."""
    objects = [json.loads(line) for line in text.splitlines() if line.strip()]
    template = next(o for o in objects if o["id"] == NEGATIVE_SEARCH)
    for n, brand in enumerate(brands, 1):
        search = copy.deepcopy(template)
        search["id"] = f"{FILE_PREFIX}-search-brand-{n}"
        search["attributes"]["title"] = f"提及：{brand}"
        source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        source["query"]["query"] = "brands : " + json.dumps(brand, ensure_ascii=False)
        search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"] = json.dumps(source, ensure_ascii=False)
        objects.append(search)
    for o in objects:
        o["id"] = _renamed(o["id"], prefix)
        for reference in o.get("references", []):
            reference["id"] = _renamed(reference["id"], prefix)
        if o["type"] == "index-pattern":
            o["attributes"]["title"] = _renamed(o["attributes"]["title"], prefix)
    return objects


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with one file field named `file`, as Kibana's import API wants."""
    boundary = f"brandmon-{uuid.uuid4().hex}"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/ndjson\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def import_objects(url: str, objects: list[dict], auth: tuple[str, str] | None = None) -> dict:
    """POST the objects to `url` + /api/saved_objects/_import?overwrite=true and return Kibana's answer.
    Raises urllib's HTTPError / URLError."""
    ndjson = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode("utf-8")
    body, content_type = multipart("brandmon.ndjson", ndjson)
    request = Request(f"{url.rstrip('/')}/api/saved_objects/_import?overwrite=true", data=body, method="POST",
                      headers={"kbn-xsrf": "brandmon", "Content-Type": content_type})
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    with urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"{}")
