#!/usr/bin/python3
"""httpx + httpx-gssapi as a benchmark client of the sessions section.

Debian's python3-httpx and python3-gssapi; httpx-gssapi itself is not packaged by Debian and is
found through PYTHONPATH (the bench puts $HTTPX_GSSAPI_PATH there; see docs/benchmarks.md).

The warm-up runs on one httpx.Client, then --sessions fresh ones one after another, N sequential
GETs each; a Client's cookie jar keeps the session cookie the server sets after its first
handshake: each a session from its first request, as the Node clients are measured. Each GET
reads the whole body and has its own path. Prints {"sequential": ...} (the sessions timed
together) like the Node worker's SessionsResult.

httpx-gssapi makes a GSSAPI context only when it answers a 401 (opportunistic_auth is off by
default); mutual_authentication=DISABLED matches http-gssapi's default.
"""
import argparse
import json
import sys

import httpx
from httpx_gssapi import DISABLED, HTTPSPNEGOAuth
from timed_runs import sessions


def client() -> httpx.Client:
    return httpx.Client(auth=HTTPSPNEGOAuth(mutual_authentication=DISABLED))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True, help="URL prefix of the authenticated resource")
    p.add_argument("--prefix", required=True)
    p.add_argument("--warmup", type=int, default=2000)
    p.add_argument("--sequential", type=int, default=1000, help="requests per session")
    p.add_argument("--sessions", type=int, default=1)
    args = p.parse_args()

    def urls(run: str, n: int) -> list[str]:
        return [f"{args.base}{args.prefix}-{run}/{i}" for i in range(n)]

    with client() as warm:
        for u in urls("warm", args.warmup):
            warm.get(u).content
    result = sessions(client, urls("seq", args.sequential * args.sessions), args.sessions)
    json.dump({"sequential": result}, sys.stdout)


if __name__ == "__main__":
    main()
