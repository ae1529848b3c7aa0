"""Demo city costs: synthetic people per second, and city-scale seeding rows per second
against the generator alone (the ratio is what encryption, blind indexes and inserts
leave of the generator's speed)."""

from __future__ import annotations

import time

from bench.common import result


def run(quick: bool = False) -> list[dict]:
    from yiwang.core.actions.demo import do_seed_population
    from yiwang.core.actions.org import do_seed_org
    from yiwang.core.synth import CitySynth

    n = 20_000 if quick else 200_000
    synth = CitySynth()

    start = time.perf_counter()
    for _row in synth.people(n):
        pass
    synth_rate = n / (time.perf_counter() - start)

    do_seed_org(actor=None, townships=False)
    rows = 10_000 if quick else 100_000
    start = time.perf_counter()
    created = do_seed_population(actor=None, people=rows, enterprises=rows // 10)
    seed_rate = (created["citizens"] + created["enterprises"]) / (time.perf_counter() - start)
    return [
        result("synth_people", synth_rate, "rows/s"),
        result(
            "seed_population",
            seed_rate,
            "rows/s",
            synth_rate,
            "synth_people",
            rows=created["citizens"] + created["enterprises"],
        ),
    ]
