"""casebook-client: Python client for Casebook's socket API (precedent similarity search)."""
from .client import AsyncCasebookClient, CasebookClient
from .errors import (
    BadRequestError, BodyTooLargeError, CasebookError, ConflictError, InvalidValueError, ItemError,
    MethodNotAllowedError, NotFoundError, StorageError, WrongShardError,
)
from .models import (
    ActionEstimate, AddResult, Collection, Health, IndexInfo, MatchStatistics, OutcomeReceipt, Precedent,
    SearchResponse, SearchResult, Suggestion, TrainingReport, UseReceipt,
)

__all__ = [
    "CasebookClient", "AsyncCasebookClient",
    "CasebookError", "BadRequestError", "NotFoundError", "MethodNotAllowedError", "ConflictError",
    "BodyTooLargeError", "WrongShardError", "InvalidValueError", "StorageError", "ItemError",
    "ActionEstimate", "AddResult", "Collection", "Health", "IndexInfo", "MatchStatistics", "OutcomeReceipt",
    "Precedent", "SearchResponse", "SearchResult", "Suggestion", "TrainingReport", "UseReceipt",
]
