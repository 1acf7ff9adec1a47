"""HTML to PDF with WeasyPrint, fetching nothing from outside the project."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

PDF_CSS = settings.BASE_DIR / "static" / "css" / "pdf.css"


class ForbiddenFetch(ValueError):
    """WeasyPrint catches it, logs a warning and renders on without the resource."""


def refusing_fetcher():
    """A WeasyPrint URL fetcher that reads no file:// and no network: everything a report
    shows is inline (SVG charts, our stylesheet, opened by name). Only `data:` URLs, which
    fetch nothing, are decoded. WeasyPrint 70 needs a `URLFetcher` subclass here: a plain
    function that raises breaks every render that references a URL."""
    from weasyprint.urls import URLFetcher

    class RefusingFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.lower().startswith("data:"):
                return super().fetch(url, headers)
            raise ForbiddenFetch(f"reports may not fetch {url[:80]!r}")

    return RefusingFetcher(allowed_protocols={"data"}, allow_redirects=False)


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import CSS, HTML  # heavy import, only in the worker

    html = render_to_string(template, context)
    fetcher = refusing_fetcher()
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[CSS(filename=str(PDF_CSS), url_fetcher=fetcher)])
