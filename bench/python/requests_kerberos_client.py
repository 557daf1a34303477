#!/usr/bin/python3
"""requests + requests-kerberos as a benchmark client (Debian python3-requests-kerberos).

Runs the same shape as the Node clients: warm-up, N sequential GETs on one keep-alive Session,
then M GETs with K in flight (one Session per thread: requests Sessions are not thread-safe).
Each GET reads the whole body. Each request has its own path, so the server counts round trips
per request. Prints one JSON object like the Node worker's ThroughputResult.

With --mode=sessions (the sessions section): the warm-up on one Session, then --sessions fresh
Sessions one after another, N sequential GETs each; a Session's cookie jar keeps the session
cookie the server sets after its first handshake. Prints {"sequential": ...} (the sessions timed
together) like the Node worker's SessionsResult.

requests-kerberos makes a fresh GSSAPI context for every request (it keeps none across
requests), sends the first request bare unless force_preemptive, and is run with
mutual_authentication=DISABLED to match http-gssapi's default (its own default, REQUIRED,
would add a verification step per request).
"""
import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from requests_kerberos import DISABLED, HTTPKerberosAuth
from timed_runs import sessions, summarize, timed_get


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True, help="URL prefix of the authenticated resource")
    p.add_argument("--prefix", required=True)
    p.add_argument("--warmup", type=int, default=2000)
    p.add_argument("--sequential", type=int, default=1000)
    p.add_argument("--concurrent", type=int, default=1000)
    p.add_argument("--in-flight", type=int, default=16)
    p.add_argument("--preemptive", action="store_true")
    p.add_argument("--mode", choices=["throughput", "sessions"], default="throughput")
    p.add_argument("--sessions", type=int, default=1, help="with --mode=sessions")
    args = p.parse_args()

    def auth() -> HTTPKerberosAuth:
        return HTTPKerberosAuth(mutual_authentication=DISABLED, force_preemptive=args.preemptive)

    def url(run: str, i: int) -> str:
        return f"{args.base}{args.prefix}-{run}/{i}"

    def session() -> requests.Session:
        s = requests.Session()
        s.auth = auth()
        return s

    def get(s: requests.Session, u: str) -> tuple[float, int]:
        return timed_get(s.get, u)

    main_session = session()
    for i in range(args.warmup):
        get(main_session, url("warm", i))

    if args.mode == "sessions":
        main_session.close()
        urls = [url("seq", i) for i in range(args.sequential * args.sessions)]
        json.dump({"sequential": sessions(session, urls, args.sessions)}, sys.stdout)
        return

    t0 = time.perf_counter()
    seq = [get(main_session, url("seq", i)) for i in range(args.sequential)]
    seq_elapsed = time.perf_counter() - t0

    local = threading.local()
    ready = threading.Barrier(args.in_flight)

    def warm(i: int) -> None:
        # Each thread gets its Session and connection before the clock starts (the barrier
        # makes every thread take exactly one of these).
        local.session = session()
        get(local.session, url("conc-warm", i))
        ready.wait()

    def task(i: int) -> tuple[float, int]:
        return get(local.session, url("conc", i))

    with ThreadPoolExecutor(max_workers=args.in_flight) as pool:
        list(pool.map(warm, range(args.in_flight)))
        t0 = time.perf_counter()
        conc = list(pool.map(task, range(args.concurrent)))
        conc_elapsed = time.perf_counter() - t0

    json.dump({"sequential": summarize(seq, seq_elapsed), "concurrent": summarize(conc, conc_elapsed)}, sys.stdout)


if __name__ == "__main__":
    main()
