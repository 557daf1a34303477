"""Timing shared by the Python benchmark clients (imported from beside them).

A run's summary has the shape of the Node worker's RunResult (bench/workers/node-client.ts):
count, elapsedMs, latenciesMs, failures, and firstFailure when a request did not answer 200.
"""
import time
from typing import Callable


def timed_get(get: Callable[[str], object], url: str) -> tuple[float, int]:
    """GETs `url` with `get` (which returns a response whose body is read here); ms and status."""
    t0 = time.perf_counter()
    r = get(url)
    r.content  # read the whole body
    return (time.perf_counter() - t0) * 1000, r.status_code


def summarize(results: list[tuple[float, int]], elapsed: float) -> dict:
    """One run's summary: `results` from timed_get, `elapsed` in seconds."""
    failures = [s for _, s in results if s != 200]
    out = {
        "count": len(results),
        "elapsedMs": elapsed * 1000,
        "latenciesMs": [round(l, 3) for l, _ in results],
        "failures": len(failures),
    }
    if failures:
        out["firstFailure"] = f"status {failures[0]}"
    return out


def sessions(make: Callable[[], object], urls: list[str], count: int) -> dict:
    """Splits `urls` into `count` runs, each GETting its URLs in turn on a fresh client from
    `make` (closed after): the runs summarized as one, their times added."""
    per = len(urls) // count
    results: list[tuple[float, int]] = []
    elapsed = 0.0
    for s in range(count):
        client = make()
        t0 = time.perf_counter()
        results += [timed_get(client.get, u) for u in urls[s * per:(s + 1) * per]]
        elapsed += time.perf_counter() - t0
        client.close()
    return summarize(results, elapsed)
