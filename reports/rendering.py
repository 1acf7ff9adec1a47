"""HTML to PDF with WeasyPrint, fetching nothing from outside the project."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

PDF_CSS = settings.BASE_DIR / "static" / "css" / "pdf.css"


class ForbiddenFetch(ValueError):
    pass


def refuse_fetch(url: str, *args, **kwargs):
    """No file://, no network: everything a report shows is inline (SVG charts, our CSS)."""
    raise ForbiddenFetch(f"reports may not fetch {url[:80]!r}")


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import CSS, HTML  # heavy import, only in the worker

    html = render_to_string(template, context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=refuse_fetch)
    return document.write_pdf(stylesheets=[CSS(filename=str(PDF_CSS))])
