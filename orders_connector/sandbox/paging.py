"""Laravel's paginated resource envelope: data, links, meta (LengthAwarePaginator)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_ON_EACH_SIDE = 3  # Laravel's default `onEachSide`


@dataclass(frozen=True)
class PageRequest:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_request(query: Mapping[str, str], *, default: int, cap: int) -> PageRequest:
    """Laravel keeps page >= 1 (anything else means 1); per_page is capped silently."""
    page = _positive_int(query.get("page")) or 1
    per_page = _positive_int(query.get("per_page")) or default
    return PageRequest(page=page, per_page=min(per_page, cap))


def _positive_int(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    digits = text[1:] if text.startswith("+") else text
    if not digits.isdigit() or not digits.isascii():
        return None
    value = int(digits)
    return value if value >= 1 else None


def envelope(data: Sequence[Any], *, total: int, request: PageRequest, path: str) -> dict[str, Any]:
    """`data` is already the page's slice; links carry only ?page=N, as Laravel's do."""
    page, per_page = request.page, request.per_page
    last_page = max((total + per_page - 1) // per_page, 1)

    def url(number: int) -> str:
        return f"{path}?page={number}"

    prev_url = url(page - 1) if page > 1 else None
    next_url = url(page + 1) if page < last_page else None
    meta_links: list[dict[str, Any]] = [
        {"url": prev_url, "label": "&laquo; Previous", "active": False}
    ]
    for element in _elements(page, last_page):
        if element is None:
            meta_links.append({"url": None, "label": "...", "active": False})
        else:
            meta_links.append(
                {"url": url(element), "label": str(element), "active": element == page}
            )
    meta_links.append({"url": next_url, "label": "Next &raquo;", "active": False})
    return {
        "data": list(data),
        "links": {"first": url(1), "last": url(last_page), "prev": prev_url, "next": next_url},
        "meta": {
            "current_page": page,
            "from": request.offset + 1 if data else None,
            "last_page": last_page,
            "links": meta_links,
            "path": path,
            "per_page": per_page,
            "to": request.offset + len(data) if data else None,
            "total": total,
        },
    }


def _elements(page: int, last_page: int) -> list[int | None]:
    """Laravel's UrlWindow: page numbers with None where it prints "..."."""
    side = _ON_EACH_SIDE
    if last_page < side * 2 + 8:
        return list(range(1, last_page + 1))
    window = side + 4
    start, finish = [1, 2], [last_page - 1, last_page]
    if page <= window:
        return [*range(1, window + side + 1), None, *finish]
    if page > last_page - window:
        return [*start, None, *range(last_page - (window + side - 1), last_page + 1)]
    return [*start, None, *range(page - side, page + side + 1), None, *finish]
