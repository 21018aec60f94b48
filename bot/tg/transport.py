"""The bot's HTTP client for the Bot API: python-telegram-bot's request interface over aiohttp.

PTB's own client (httpx) spends most of a short answer's CPU on its connection pool's
bookkeeping, which grows with every request waiting for a connection: in a burst of questions
(benchmarks/bench.py) a bare echo bot used 2.95 ms of CPU per answer with it and 1.1 ms with
this, and this bot 6.1 ms with httpx and 2.2 ms with this. The Bot API itself is unchanged:
the same requests, the same status codes and JSON replies, which PTB's ``BaseRequest.post``
turns into results or errors as it always does.

Requests without files are sent as one JSON body, which the Bot API accepts as it does forms
(form-encoding a long HTML answer costs ~0.15 ms). As with PTB's client, a proxy set in the
environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``) is used: where Telegram is blocked,
that is how a bot reaches it. It is looked up once per server, not per request as aiohttp's
``trust_env`` does (0.8 ms of CPU per request).
"""

from __future__ import annotations

import json
import urllib.request

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's defaults for its own client, in seconds.
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0

JSON = {"Content-Type": "application/json"}


def _seconds(value: object, default: float | None) -> float | None:
    """A timeout PTB passed (a number or None for "no limit"), or ours when it passed none."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return float(value) if isinstance(value, int | float) else None


def _total(*parts: float | None) -> float | None:
    return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp session with at most ``connection_pool_size``
    connections.

    PTB's four timeouts map onto aiohttp's: ``connect_timeout`` to opening a connection
    (``sock_connect``), ``pool_timeout`` plus that to getting one, free or new (``connect``),
    ``read_timeout`` to each wait for the response (``sock_read``). aiohttp has no write timeout:
    ``write_timeout`` (``media_write_timeout`` for uploads) is part of the limit on the whole
    request, which is the sum of all four.
    """

    __slots__ = (
        "_connect",
        "_media_write",
        "_pool",
        "_pool_size",
        "_proxies",
        "_read",
        "_session",
        "_write",
    )

    def __init__(
        self,
        connection_pool_size: int = 1,
        *,
        read_timeout: float | None = READ_TIMEOUT,
        write_timeout: float | None = WRITE_TIMEOUT,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read, self._write = read_timeout, write_timeout
        self._connect, self._pool = connect_timeout, pool_timeout
        self._media_write = media_write_timeout
        # Made in initialize(): an aiohttp session belongs to the event loop it is made in.
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}  # by "scheme://host:port"

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )
            self._proxies.clear()  # a restart sees a changed environment

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        read = _seconds(read_timeout, self._read)
        write = _seconds(write_timeout, self._media_write if files else self._write)
        connect = _seconds(connect_timeout, self._connect)
        pool = _seconds(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(
            total=_total(pool, connect, write, read),
            connect=_total(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        body: bytes | aiohttp.FormData | None = None
        headers = None
        if request_data is not None and files:
            body = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                body.add_field(name, content, filename=filename, content_type=mime)
        elif request_data is not None:
            body, headers = json.dumps(request_data.parameters).encode(), JSON
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            if isinstance(exc, aiohttp.ConnectionTimeoutError):
                raise TimedOut(
                    f"Timed out getting a connection to the Bot API: all {self._pool_size} "
                    "are busy, or the server did not accept one. The request was not sent."
                ) from exc
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # The class name says what failed when the message is empty (a dropped connection).
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _proxy(self, url: str) -> str | None:
        """The environment's proxy for ``url``'s server, if any (looked up once per server)."""
        scheme, _, rest = url.partition("://")
        server = f"{scheme}://{rest.split('/', 1)[0]}"
        if server not in self._proxies:
            host = rest.split("/", 1)[0].rpartition("@")[2]
            bypass = urllib.request.proxy_bypass(host)
            self._proxies[server] = None if bypass else urllib.request.getproxies().get(scheme)
        return self._proxies[server]
