from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from monitor.alerting.acklink import AckLinkError, AckLinks


def parts(url: str) -> tuple[str, str, str]:
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    return parsed.path.rsplit("/", 1)[1], query["exp"], query["sig"]


@pytest.fixture
def links(clock):
    return AckLinks("s3cret", "http://127.0.0.1:8787/", timedelta(hours=24), clock)


def test_a_link_we_signed_verifies(links):
    links.verify(*parts(links.url("INC-1123-abc123")))


def test_a_link_for_another_incident_is_refused(links):
    _, exp, sig = parts(links.url("INC-1"))
    with pytest.raises(AckLinkError, match="signature"):
        links.verify("INC-2", exp, sig)


def test_a_link_with_a_stretched_expiry_is_refused(links):
    incident, exp, sig = parts(links.url("INC-1"))
    with pytest.raises(AckLinkError, match="signature"):
        links.verify(incident, str(int(exp) + 86400), sig)


def test_an_expired_link_is_refused(links, clock):
    url = links.url("INC-1")
    clock.advance(timedelta(hours=25))
    with pytest.raises(AckLinkError, match="expired"):
        links.verify(*parts(url))


def test_a_link_signed_with_another_secret_is_refused(links, clock):
    other = AckLinks("other", "http://127.0.0.1:8787", timedelta(hours=1), clock)
    with pytest.raises(AckLinkError):
        links.verify(*parts(other.url("INC-1")))
