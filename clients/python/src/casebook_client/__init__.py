"""casebook-client: Python client for Casebook's socket API (precedent similarity search)."""
from .client import AsyncCasebookClient, CasebookClient
from .errors import (
    BadRequestError, BodyTooLargeError, CasebookError, ConflictError, InvalidValueError, ItemError,
    MethodNotAllowedError, NotFoundError, StorageError, UnsupportedMediaTypeError, WrongShardError,
)
from .models import (
    ActionEstimate, AddResult, Collection, Health, IndexInfo, MatchStatistics, OutcomeReceipt, Precedent,
    ReembedReport, SearchResponse, SearchResult, Suggestion, TrainingReport, UseReceipt,
)

__all__ = [
    "CasebookClient", "AsyncCasebookClient",
    "CasebookError", "BadRequestError", "NotFoundError", "MethodNotAllowedError", "ConflictError",
    "BodyTooLargeError", "UnsupportedMediaTypeError", "WrongShardError", "InvalidValueError", "StorageError", "ItemError",
    "ActionEstimate", "AddResult", "Collection", "Health", "IndexInfo", "MatchStatistics", "OutcomeReceipt",
    "Precedent", "ReembedReport", "SearchResponse", "SearchResult", "Suggestion", "TrainingReport", "UseReceipt",
]
