"""Errors: every answer that is not a success raises a CasebookError carrying the server's
status, code and message (and, for a batch, the per-item errors)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ItemError:
    """One refused item of a batch: its position, its id when it had one, and why."""

    index: int
    id: str | None
    code: str
    message: str


@dataclass
class CasebookError(Exception):
    """An error answer: `status` (HTTP), `code` (`collection_not_found`, `invalid_k`, ...) and
    `message` as the server wrote them."""

    status: int
    code: str
    message: str
    items: list[ItemError] = field(default_factory=list)
    #: wrong_shard (421): the shard that holds the request's tenant.
    shard: int | None = None
    #: method_not_allowed (405): the methods the path answers.
    allow: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class BadRequestError(CasebookError):
    """400: malformed JSON, a wrong type, an unknown field, a missing tenant."""


class NotFoundError(CasebookError):
    """404: unknown collection, precedent (or another tenant's), query or route."""


class MethodNotAllowedError(CasebookError):
    """405: a served path asked with another method (`allow` names the served ones)."""


class ConflictError(CasebookError):
    """409: collection exists, duplicate id, eventId reused, training in progress."""


class BodyTooLargeError(CasebookError):
    """413: the body is over the server's --max-body."""


class UnsupportedMediaTypeError(CasebookError):
    """415: a vector body sent to the JSON search, or JSON to the binary one."""


class WrongShardError(CasebookError):
    """421: another node holds this tenant (`shard` names it)."""


class InvalidValueError(CasebookError):
    """422: a value the server refuses (k out of range, wrong dimension, wrong_space, a limit)."""


class StorageError(CasebookError):
    """5xx: the database refused or could not be reached; nothing was written."""


_BY_STATUS: dict[int, type[CasebookError]] = {
    400: BadRequestError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    413: BodyTooLargeError,
    415: UnsupportedMediaTypeError,
    421: WrongShardError,
    422: InvalidValueError,
}


def error_from_response(status: int, body: Any, allow: str | None) -> CasebookError:
    """The exception for an error answer; a body that is not Casebook's error shape still
    raises, with code `http_error`."""
    detail = body.get("error") if isinstance(body, dict) else None
    if not isinstance(detail, dict):
        detail = {"code": "http_error", "message": f"HTTP {status}"}
    items = [
        ItemError(index=i.get("index", -1), id=i.get("id"), code=i.get("code", ""), message=i.get("message", ""))
        for i in detail.get("items") or []
    ]
    kind = _BY_STATUS.get(status, StorageError if status >= 500 else CasebookError)
    return kind(
        status=status,
        code=str(detail.get("code", "http_error")),
        message=str(detail.get("message", "")),
        items=items,
        shard=detail.get("shard"),
        allow=[m.strip() for m in allow.split(",")] if allow else [],
    )
