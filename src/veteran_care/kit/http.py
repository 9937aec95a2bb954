"""The HTTP client of what leaves Veteran Care: messages to gateways, webhook deliveries.

One ``aiohttp.ClientSession`` per worker run (decision 0059): its connections are kept and
reused across rounds, at most ``connections`` open at once. ``timeout_seconds`` bounds each
phase, as the client before it did: getting a connection, connecting, and each wait for the
answer's bytes. No cookies are kept between requests; proxies and ``.netrc`` from the
environment are not read (each would cost a thread hop a request).
"""

import functools
import json

import aiohttp


def client_session(timeout_seconds: float, connections: int) -> aiohttp.ClientSession:
    timeout = aiohttp.ClientTimeout(
        total=None,
        connect=timeout_seconds,
        sock_connect=timeout_seconds,
        sock_read=timeout_seconds,
    )
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, limit_per_host=0),
        timeout=timeout,
        cookie_jar=aiohttp.DummyCookieJar(),
        # Vietnamese text as UTF-8, not \u escapes: a third of the bytes
        json_serialize=functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":")),
    )
