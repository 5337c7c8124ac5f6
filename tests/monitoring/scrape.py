"""Reading a /metrics answer: sample values by name and labels, for asserting numbers."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


class Samples:
    """The samples of one scrape; `value` sums those whose labels include the given ones."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: list[tuple[str, dict[str, str], float]] = [
            (sample.name, dict(sample.labels), float(sample.value))
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        ]

    def value(self, name: str, **labels: str) -> float:
        return sum(
            value
            for sample, found, value in self.samples
            if sample == name and all(found.get(k) == v for k, v in labels.items())
        )

    def has(self, name: str, **labels: str) -> bool:
        return any(
            sample == name and all(found.get(k) == v for k, v in labels.items())
            for sample, found, _ in self.samples
        )

    def names(self) -> set[str]:
        return {sample for sample, _, _ in self.samples}

    def delta(self, before: Samples, name: str, **labels: str) -> float:
        return self.value(name, **labels) - before.value(name, **labels)
