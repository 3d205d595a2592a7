"""WeasyPrint's only way out, closed: serve files under the template folders, refuse the rest.

The workbook is untrusted; its text is escaped before it reaches HTML, and this fetcher is the
second wall: even if some text became a URL, the render fetches nothing from the network and no
file outside the template folders (``..`` and symlinks are resolved before the check). A refusal
stops the render (``fail_on_errors``) instead of leaving a silent hole in the PDF. Every request
is recorded in :attr:`ClosedFetcher.log` and logged on ``derisk_xl.report.fetch``.

Imports WeasyPrint: import this module only where a PDF is made.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

LOG = logging.getLogger("derisk_xl.report.fetch")

#: data: URLs larger than this (the whole URL, in characters) are refused: a small inline icon
#: is fine, anything bigger belongs in the template folder where it can be reviewed.
MAX_DATA_URL = 8 * 1024

#: The scheme of resources the render made itself (charts): served from memory, never a file.
GENERATED = "generated"


class FetchRefused(ValueError):
    """The renderer asked for something outside the template folders."""


@dataclass(frozen=True)
class FetchRecord:
    """One request WeasyPrint made: the URL, whether it was served, and why not."""

    url: str
    served: bool
    reason: str = ""


class ClosedFetcher(URLFetcher):
    """Serves ``file:`` URLs under ``roots`` and small ``data:`` URLs; refuses anything else."""

    def __init__(self, roots: Iterable[Path], max_data_url: int = MAX_DATA_URL,
                 generated: Mapping[str, tuple[bytes, str]] | None = None):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False,
                         fail_on_errors=True)
        self.roots = tuple(Path(r).resolve() for r in roots)
        self.max_data_url = max_data_url
        #: what this render made itself (the charts), by ``generated:`` URL: (bytes, MIME type)
        self.generated = dict(generated or {})
        self.log: list[FetchRecord] = []

    def _refuse(self, url: str, reason: str) -> FetchRefused:
        self.log.append(FetchRecord(url, False, reason))
        LOG.warning("refused %s: %s", url[:200], reason)
        return FetchRefused(f"the report may not fetch {url[:200]!r}: {reason}")

    def fetch(self, url, headers=None):  # noqa: D401 - WeasyPrint's signature
        scheme = urlsplit(url).scheme.lower()
        if scheme == GENERATED and url in self.generated:
            body, mime = self.generated[url]
            self.log.append(FetchRecord(url, True))
            LOG.info("served %s (%d bytes, made by this render)", url, len(body))
            return URLFetcherResponse(url, body, headers={"Content-Type": mime})
        if scheme == "data":
            if len(url) > self.max_data_url:
                raise self._refuse(url, f"data: URL of {len(url)} characters "
                                        f"(limit {self.max_data_url})")
            self.log.append(FetchRecord(url[:200], True))
            LOG.info("served data: URL (%d characters)", len(url))
            return super().fetch(url, headers)
        if scheme != "file":
            raise self._refuse(url, f"{scheme or 'relative'} URLs are not allowed; only files "
                                    "in the template folder")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise self._refuse(url, f"file URL on host {parts.netloc!r}")
        path = self.resolve(unquote(parts.path))
        if path is None:
            raise self._refuse(url, "outside the template folder")
        path = self.fallback(path)
        if not path.is_file():
            raise self._refuse(url, "no such file in the template folder")
        self.log.append(FetchRecord(url, True))
        LOG.info("served %s", path)
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(),
            headers={"Content-Type": mime or "application/octet-stream"},
        )

    def fallback(self, path: Path) -> Path:
        """A file missing from the desk's folder is looked up at the same place in ours."""
        if path.is_file() or len(self.roots) < 2 or not path.is_relative_to(self.roots[0]):
            return path
        rel = path.relative_to(self.roots[0])
        for root in self.roots[1:]:
            candidate = (root / rel).resolve()
            if candidate.is_file() and candidate.is_relative_to(root):
                return candidate
        return path

    def resolve(self, raw_path: str) -> Path | None:
        """The real file a path names, if it lies under one of the roots (after symlinks)."""
        try:
            real = Path(raw_path).resolve(strict=False)
        except (OSError, RuntimeError):
            return None
        for root in self.roots:
            if real == root or real.is_relative_to(root):
                return real
        return None


__all__ = ["ClosedFetcher", "FetchRecord", "FetchRefused", "GENERATED", "MAX_DATA_URL"]
