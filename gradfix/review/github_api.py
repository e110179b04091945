"""A small GitHub REST client: the endpoints the bot needs, ``Link`` pagination, typed errors.
The API base comes from ``GITHUB_API_URL`` (GitHub Enterprise, or a local fake in tests)."""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional

import httpx

API_VERSION = "2022-11-28"


class ApiError(Exception):
    def __init__(self, status: int, method: str, path: str, message: str):
        super().__init__(f"{method} {path}: {status} {message}")
        self.status = status


class GitHub:
    def __init__(self, base_url: str, token: str, timeout: float = 30.0):
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "gradfix",
            },
            timeout=timeout,
        )

    def request(self, method: str, path: str, body: Optional[dict] = None) -> Any:
        response = self.client.request(method, path, json=body)
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise ApiError(response.status_code, method, path, str(message)[:300])
        return response.json() if response.content else None

    def paginate(self, path: str) -> Iterator[dict]:
        url: Optional[str] = path + ("&" if "?" in path else "?") + "per_page=100"
        while url is not None:
            response = self.client.get(url)
            if response.status_code >= 400:
                raise ApiError(response.status_code, "GET", path, response.text[:300])
            yield from response.json()
            url = _next_link(response.headers.get("link", ""))

    def close(self) -> None:
        self.client.close()


def _next_link(header: str) -> Optional[str]:
    for part in header.split(","):
        match = re.search(r'<([^>]+)>;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None
