"""Reading the server's /metrics text (prometheus_client's own parser) in tests and benches."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def gc_pauses(text: str) -> dict[int, tuple[float, float]]:
    """`dockhand_gc_pause_seconds` so far: generation -> (collections, seconds stopped)."""
    seen: dict[int, list[float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "dockhand_gc_pause_seconds":
            continue
        for sample in family.samples:
            for suffix, i in (("_count", 0), ("_sum", 1)):
                if sample.name == family.name + suffix:
                    generation = int(sample.labels["generation"])
                    seen.setdefault(generation, [0.0, 0.0])[i] = sample.value
    return {g: (v[0], v[1]) for g, v in seen.items()}


def counter_total(text: str, name: str, **labels: str) -> float:
    """A counter's value so far, summed over its samples that carry `labels`; a counter
    that is not there at all is an assertion error."""
    for family in text_string_to_metric_families(text):
        if family.name == name.removesuffix("_total"):
            return sum(
                s.value
                for s in family.samples
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
            )
    raise AssertionError(f"no {name} on /metrics")
