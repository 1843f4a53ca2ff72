"""What the two HTTP channels (WhatsApp, SMS) share: one aiohttp session per provider, a JSON POST
whose network failures come back already classified, and what an HTTP status alone means.

Whether a request went out decides between TEMPORARY and UNKNOWN, so the session traces it:
until the request's headers were written, nothing reached the provider and a retry cannot
duplicate anything; after that, a timeout or a dropped connection leaves the message's fate open.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import orjson

from services.notifier.channels.base import Outcome, SendFailure


@dataclass(frozen=True)
class Answer:
    """What a provider answered: its status, headers and JSON body (None when not JSON)."""

    status: int
    headers: Mapping[str, str]
    body: Any


class JsonApi:
    """One provider's JSON API under one base URL, with the credentials every request carries."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        authorization: str,
        timeout: float,
        connect_timeout: float,
    ) -> None:
        self.provider = provider  # how answers name it: "WhatsApp", "Infobip SMS"
        self._base_url = base_url.rstrip("/")
        self._headers = {
            "Authorization": authorization,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(connect_timeout, timeout))
        self._session: aiohttp.ClientSession | None = None

    async def post(self, path: str, body: dict[str, Any]) -> Answer:
        """POST `body` as JSON (written by orjson: aiohttp's `json=` takes the json module, a
        good share of a send's CPU); a failure before any answer raises SendFailure, classified."""
        went_out = SimpleNamespace(headers=False)
        try:
            # A redirect is not an answer: following it could send the message twice or elsewhere.
            async with self._open().post(
                self._base_url + path,
                data=orjson.dumps(body),
                headers=self._headers,
                allow_redirects=False,
                trace_request_ctx=went_out,
            ) as response:
                raw = await response.read()
                return Answer(response.status, response.headers, _json_or_none(raw))
        except (aiohttp.ClientError, TimeoutError) as error:
            if not went_out.headers:
                raise SendFailure(
                    Outcome.TEMPORARY,
                    f"cannot reach {self.provider}, nothing was sent: {_describe(error)}",
                ) from error
            raise SendFailure(
                Outcome.UNKNOWN,
                f"no answer from {self.provider} after the request went out "
                f"({_describe(error)}): it may have been sent",
            ) from error

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running loop; one session keeps connections alive.
        if self._session is None:
            trace = aiohttp.TraceConfig()
            trace.on_request_headers_sent.append(_headers_went_out)
            self._session = aiohttp.ClientSession(timeout=self._timeout, trace_configs=[trace])
        return self._session


async def _headers_went_out(_session, context: SimpleNamespace, _params) -> None:
    context.trace_request_ctx.headers = True


def _json_or_none(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _describe(error: Exception) -> str:
    """An error as a few words: never its text, which carries the URL."""
    if isinstance(error, TimeoutError):
        return "timed out"
    cause = getattr(error, "os_error", None)  # refused, unreachable, no such host
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return type(error).__name__


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the provider asked us to wait (Retry-After as seconds or as an HTTP date)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def rate_limited(provider: str, detail: str, headers: Mapping[str, str]) -> SendFailure:
    return SendFailure(
        Outcome.TEMPORARY, f"{provider} rate limit: {detail}", retry_after=retry_after(headers)
    )


def operator_must_fix(provider: str, detail: str) -> SendFailure:
    # Not the person's fault: falling back to another channel would hide a broken setup, so the
    # messages wait on this channel until someone fixes the credentials or the account.
    return SendFailure(
        Outcome.TEMPORARY,
        f"{provider} refused our account or credentials: {detail}; "
        f"an operator must fix the {provider} settings, messages wait",
    )


def unavailable(provider: str, detail: str) -> SendFailure:
    return SendFailure(Outcome.TEMPORARY, f"{provider} unavailable: {detail}")


def refused(provider: str, detail: str) -> SendFailure:
    return SendFailure(Outcome.PERMANENT, f"{provider} refused the message: {detail}")


def by_status(provider: str, answer: Answer, detail: str) -> SendFailure:
    """The failure an HTTP status means when the body says nothing more specific."""
    if answer.status == 429:
        return rate_limited(provider, detail, answer.headers)
    if answer.status in (401, 403) or answer.status < 400:  # a redirect: the base URL is wrong
        return operator_must_fix(provider, detail)
    if answer.status >= 500:
        return unavailable(provider, detail)
    return refused(provider, detail)
