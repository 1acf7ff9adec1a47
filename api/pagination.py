"""Page-number pagination for list routes: `?page=2&page_size=50`, validated (a bad value is a
422 naming the parameter), two queries whatever the page (count, then the page's rows)."""

from __future__ import annotations

from ninja import Field, Schema

MAX_PAGE_SIZE = 100


class PageParams(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="1-based page number.")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")


class Page(Schema):
    count: int = Field(description="Items across all pages.")
    page: int
    page_size: int
    pages: int


def paginate(queryset, params: PageParams) -> tuple[dict, list]:
    """The page's metadata and rows; a page past the end is empty, not an error."""
    count = queryset.count()
    start = (params.page - 1) * params.page_size
    rows = list(queryset[start : start + params.page_size]) if start < count else []
    pages = max(1, -(-count // params.page_size))
    meta = {"count": count, "page": params.page, "page_size": params.page_size, "pages": pages}
    return meta, rows
