"""Reading /metrics as Prometheus would: `prometheus_client.parser` over the real answer."""

from __future__ import annotations

import base64
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Samples", "scrape"]


class Samples(dict[tuple[str, frozenset[tuple[str, str]]], float]):
    """Sample values by (sample name, labels)."""

    def value(self, name: str, **labels: str) -> float:
        """The sample `name` with exactly these labels; 0 when it is not there (yet)."""
        return self.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """The sum of every sample `name` whose labels include these."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.items() if n == name and wanted <= ls)


def scrape(base_url: str, *, login: tuple[str, str] | None = None) -> Samples:
    """GET `base_url`/metrics and parse it; raises urllib's HTTPError for an error status."""
    request = urllib.request.Request(base_url + "/metrics")
    if login is not None:
        token = base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    samples = Samples()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples
