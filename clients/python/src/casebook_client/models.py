"""Typed results of every route. Each keeps the server's JSON object as `raw` too, so a field
added by a newer server is never lost to an older client."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JSON = dict[str, Any]


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Health:
    status: str
    collections: int
    change_position: int
    following_error: str | None
    shard: str | None
    raw: JSON = field(repr=False, default_factory=dict)
    # Why the server's latest round of fitting stale tenants failed (serve --refit-stale-every).
    refitting_error: str | None = None

    @classmethod
    def from_json(cls, j: JSON) -> Health:
        return cls(
            j["status"], j["collections"], j.get("changePosition", 0), j.get("followingError"), j.get("shard"), j,
            j.get("refittingError"),
        )


@dataclass
class Collection:
    name: str
    dim: int
    metric: str
    embedder: str
    index: str
    space_id: str | None = None
    #: The named tenant's precedents (only when a tenant was named).
    count: int | None = None
    raw: JSON = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, j: JSON) -> Collection:
        return cls(j["name"], j["dim"], j["metric"], j["embedder"], j["index"], j.get("spaceId"), j.get("count"), j)


@dataclass
class Precedent:
    """A past decision. To add one, build it with the fields you have (tenant comes from the
    call); ids are generated when absent."""

    id: str | None = None
    tenant: str | None = None
    category: str | None = None
    decision_event_id: str | None = None
    policy_version: str | None = None
    context: JSON = field(default_factory=dict)
    text: str | None = None
    action: str | None = None
    outcome: str | None = None
    was_successful: bool | None = None
    tags: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    vector: list[float] | None = None

    _FIELDS = (
        ("id", "id"), ("tenant", "tenant"), ("category", "category"), ("decision_event_id", "decisionEventId"),
        ("policy_version", "policyVersion"), ("text", "text"), ("action", "action"), ("outcome", "outcome"),
        ("was_successful", "wasSuccessful"), ("vector", "vector"),
    )

    @classmethod
    def from_json(cls, j: JSON) -> Precedent:
        p = cls(context=j.get("context") or {}, tags=list(j.get("tags") or []), created_at=_time(j.get("createdAt")))
        for attribute, key in cls._FIELDS:
            setattr(p, attribute, j.get(key))
        return p

    def to_json(self) -> JSON:
        """The JSON of an added precedent: fields that are unset are left out."""
        j: JSON = {key: getattr(self, attribute) for attribute, key in self._FIELDS if getattr(self, attribute) is not None}
        if self.context:
            j["context"] = self.context
        if self.tags:
            j["tags"] = list(self.tags)
        if self.created_at is not None:
            j["createdAt"] = self.created_at.isoformat().replace("+00:00", "Z")
        return j


@dataclass
class AddResult:
    added: int
    ids: list[str]

    @classmethod
    def from_json(cls, j: JSON) -> AddResult:
        return cls(j["added"], list(j["ids"]))


@dataclass
class SearchResult:
    rank: int
    id: str
    score: float
    #: The metric's score when the results were re-ranked.
    similarity: float | None = None
    precedent: Precedent | None = None
    explanation: JSON | None = None
    #: Hybrid searches with both parts: each part's cosine ({"lexical", "vector"}).
    parts: dict[str, float] | None = None

    @classmethod
    def from_json(cls, j: JSON) -> SearchResult:
        precedent = j.get("precedent")
        return cls(
            j["rank"], j["id"], j["score"], j.get("similarity"),
            Precedent.from_json(precedent) if precedent is not None else None, j.get("explanation"), j.get("parts"))


@dataclass
class SearchResponse:
    query_id: str
    #: True when the answer equals a brute-force scan; an approximate answer says False.
    exact: bool
    took_ms: float
    results: list[SearchResult]
    probed: int | None = None
    reranked: bool = False
    raw: JSON = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, j: JSON) -> SearchResponse:
        return cls(
            j["queryId"], j["exact"], j["tookMs"], [SearchResult.from_json(r) for r in j.get("results", [])],
            j.get("probed"), j.get("reranked", False), j)


@dataclass
class ActionEstimate:
    action: str
    precedents: int
    successes: int
    failures: int
    estimate: float
    low: float
    high: float
    weight: float = 0.0
    supporting: list[JSON] = field(default_factory=list)
    opposing: list[JSON] = field(default_factory=list)
    outcomes: list[JSON] = field(default_factory=list)

    @classmethod
    def from_json(cls, j: JSON) -> ActionEstimate:
        return cls(
            j["action"], j["precedents"], j["successes"], j["failures"], j["estimate"], j["low"], j["high"],
            j.get("weight", 0.0), j.get("supporting", []), j.get("opposing", []), j.get("outcomes", []))


@dataclass
class Suggestion:
    query_id: str
    exact: bool
    recommended_action: str | None
    insufficient_evidence: bool
    reason: str
    base_rate: float
    considered: int
    actions: list[ActionEstimate]
    evidence: list[SearchResult] | None = None
    raw: JSON = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, j: JSON) -> Suggestion:
        evidence = j.get("evidence")
        return cls(
            j["queryId"], j["exact"], j.get("recommendedAction"), j["insufficientEvidence"], j["reason"], j["baseRate"],
            j["considered"], [ActionEstimate.from_json(a) for a in j.get("actions", [])],
            [SearchResult.from_json(r) for r in evidence] if evidence is not None else None, j)


@dataclass
class IndexInfo:
    kind: str
    trained: bool
    rows: int
    nlist: int | None = None
    added_since_training: int | None = None
    list_imbalance: float | None = None
    raw: JSON = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, j: JSON) -> IndexInfo:
        return cls(j["kind"], j["trained"], j["rows"], j.get("nlist"), j.get("addedSinceTraining"), j.get("listImbalance"), j)


@dataclass
class TrainingReport:
    nlist: int
    rows: int
    sample_rows: int
    #: The default nprobe stored with the training.
    nprobe: int | None = None
    raw: JSON = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, j: JSON) -> TrainingReport:
        return cls(j["nlist"], j["rows"], j["sampleRows"], j.get("nprobe"), j)


@dataclass
class ReembedReport:
    collection: str
    #: The embedder kinds before and after.
    from_kind: str
    to_kind: str
    precedents: int
    #: The tenants re-embedded, or None for the whole collection.
    tenants: list[str] | None = None
    scales_version: int | None = None
    seconds: float = 0.0
    raw: JSON = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, j: JSON) -> ReembedReport:
        return cls(j["collection"], j["from"], j["to"], j["precedents"], j.get("tenants"), j.get("scalesVersion"),
                   j["seconds"], j)


@dataclass
class UseReceipt:
    #: False when the same eventId was recorded before (nothing written).
    recorded: bool
    rank: int | None = None

    @classmethod
    def from_json(cls, j: JSON) -> UseReceipt:
        return cls(j["recorded"], j.get("rank"))


@dataclass
class OutcomeReceipt:
    precedents_updated: int

    @classmethod
    def from_json(cls, j: JSON) -> OutcomeReceipt:
        return cls(j["precedentsUpdated"])


@dataclass
class MatchStatistics:
    queries: int
    shown: int
    used: int
    mrr: float
    hit_at_k: float
    use_rate_by_rank: list[float]
    raw: JSON = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, j: JSON) -> MatchStatistics:
        return cls(j["queries"], j["shown"], j["used"], j["mrr"], j["hitAtK"], list(j.get("useRateByRank", [])), j)
