#!/usr/bin/env bash
# Install the project with its test dependencies, start a real Elasticsearch node, run every test.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/store -x).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e '.[test]'
# Report charts need a font with Chinese glyphs (README "Operations"); without one they fall back to ASCII labels.
if ! fc-list :lang=zh 2>/dev/null | grep -q . && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq fontconfig fonts-wqy-microhei) >/dev/null 2>&1 || echo "warning: could not install fonts-wqy-microhei" >&2
fi
# The phone pages are tested in a real headless browser: Debian's chromium (tests/web/cdp.py), never a download.
if ! command -v chromium >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
        || echo "warning: could not install chromium; the phone-page tests will be skipped" >&2
fi
# The shared crawl frontier (monitor/crawl/frontier.py) is tested on Debian's redis-server, own instance and port.
if ! command -v redis-server >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 \
        || echo "warning: could not install redis-server" >&2
fi
export BRANDMON_REDIS_INSTANCE=brandmon-test
redis_url=$(scripts/redis.sh start | tail -n 1)
trap 'scripts/redis.sh stop >/dev/null 2>&1 || true' EXIT
es_url=$(scripts/elasticsearch.sh start | tail -n 1)
trap 'scripts/elasticsearch.sh stop >/dev/null 2>&1 || true; scripts/redis.sh stop >/dev/null 2>&1 || true' EXIT
# The scale-out tests: a 3-node cluster on loopback (tests/es/test_three_nodes.py stops and restarts a node of it).
export BRANDMON_ES_CLUSTER=brandmon-test-cluster
cluster_urls=$(BRANDMON_ES_HEAP=256m scripts/elasticsearch.sh cluster-start 3 | tail -n 1)
trap 'scripts/elasticsearch.sh cluster-stop 3 >/dev/null 2>&1 || true; scripts/elasticsearch.sh stop >/dev/null 2>&1 || true; scripts/redis.sh stop >/dev/null 2>&1 || true' EXIT
BRANDMON_TEST_REDIS_URL="$redis_url" BRANDMON_TEST_ES_URL="$es_url" BRANDMON_TEST_ES_CLUSTER="$cluster_urls" python3 -m pytest -q -p no:cacheprovider "$@"
