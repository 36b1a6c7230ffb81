"""Faults a test turns on to see how a client copes: latency, 5xx answers, dropped connections.

Every decision comes from one ``random.Random`` seeded by :meth:`Faults.seed` (and re-seeded by
:meth:`Faults.reset`), so a test that sends the same requests sees the same faults every run.
Faults apply to requests whose path starts with one of ``paths`` (default: every path) and whose
method is in ``methods`` (default: every method).

``stage`` says when a fault strikes:

- ``"before"``: the request never reaches Postgres (nothing was written);
- ``"after"``: the request ran and COMMITTED, then the answer is replaced (5xx) or cut (drop):
  the client cannot know its write landed, which is what idempotent sync code must survive.

A drop closes the TCP connection: ``where="headers"`` before any byte of the answer (httpx raises
``RemoteProtocolError: Server disconnected without sending a response``), ``where="body"`` after
the status line, headers and half of the body (``RemoteProtocolError``: incomplete body).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

DEFAULT_SEED = 20261124


@dataclass(frozen=True)
class Scope:
    paths: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in self.methods:
            return False
        return not self.paths or any(path.startswith(p) for p in self.paths)


def _scope(paths: Iterable[str] | str | None, methods: Iterable[str] | str | None) -> Scope:
    if isinstance(paths, str):
        paths = (paths,)
    if isinstance(methods, str):
        methods = (methods,)
    return Scope(tuple(paths or ()), tuple(m.upper() for m in (methods or ())))


@dataclass(frozen=True)
class Decision:
    """What happens to one request."""

    latency: float = 0.0
    fail_status: int | None = None
    fail_stage: str = "before"
    drop: str | None = None  # "headers" | "body"
    drop_stage: str = "after"


@dataclass
class _Rule:
    kind: str  # "latency" | "fail" | "drop"
    scope: Scope
    ratio: float = 1.0
    remaining: int | None = None  # for the *_next rules
    latency: float = 0.0
    statuses: tuple[int, ...] = (503,)
    where: str = "body"
    stage: str = "before"


@dataclass
class Faults:
    """The fault switchboard of one gateway; thread-safe (tests call it from their thread)."""

    _rules: list[_Rule] = field(default_factory=list)
    _rng: random.Random = field(default_factory=lambda: random.Random(DEFAULT_SEED))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------ switches

    def seed(self, value: int) -> None:
        with self._lock:
            self._rng = random.Random(value)

    def latency(
        self,
        seconds: float,
        *,
        paths: Iterable[str] | str | None = None,
        methods: Iterable[str] | str | None = None,
    ) -> None:
        """Delay every matching request by ``seconds`` before it is handled."""
        self._add(_Rule("latency", _scope(paths, methods), latency=seconds))

    def fail_ratio(
        self,
        ratio: float,
        statuses: Iterable[int] = (500, 502, 503),
        *,
        paths: Iterable[str] | str | None = None,
        methods: Iterable[str] | str | None = None,
        stage: str = "before",
    ) -> None:
        """Answer this share of matching requests with one of ``statuses`` (chosen at random)."""
        self._add(
            _Rule(
                "fail",
                _scope(paths, methods),
                ratio=ratio,
                statuses=tuple(statuses),
                stage=_check_stage(stage),
            )
        )

    def fail_next(
        self,
        count: int = 1,
        status: int = 503,
        *,
        paths: Iterable[str] | str | None = None,
        methods: Iterable[str] | str | None = None,
        stage: str = "before",
    ) -> None:
        """Answer exactly the next ``count`` matching requests with ``status``."""
        self._add(
            _Rule(
                "fail",
                _scope(paths, methods),
                remaining=count,
                statuses=(status,),
                stage=_check_stage(stage),
            )
        )

    def drop_ratio(
        self,
        ratio: float,
        *,
        where: str = "body",
        paths: Iterable[str] | str | None = None,
        methods: Iterable[str] | str | None = None,
        stage: str = "after",
    ) -> None:
        """Close the connection of this share of matching requests mid-answer."""
        self._add(
            _Rule(
                "drop",
                _scope(paths, methods),
                ratio=ratio,
                where=_check_where(where),
                stage=_check_stage(stage),
            )
        )

    def drop_next(
        self,
        count: int = 1,
        *,
        where: str = "body",
        paths: Iterable[str] | str | None = None,
        methods: Iterable[str] | str | None = None,
        stage: str = "after",
    ) -> None:
        """Close the connection of exactly the next ``count`` matching requests."""
        self._add(
            _Rule(
                "drop",
                _scope(paths, methods),
                remaining=count,
                where=_check_where(where),
                stage=_check_stage(stage),
            )
        )

    def reset(self) -> None:
        """No faults, and the random sequence starts over from the default seed."""
        with self._lock:
            self._rules.clear()
            self._rng = random.Random(DEFAULT_SEED)

    @property
    def active(self) -> bool:
        with self._lock:
            return bool(self._rules)

    # ------------------------------------------------------------ used by the server

    def _add(self, rule: _Rule) -> None:
        if not 0.0 <= rule.ratio <= 1.0:
            raise ValueError(f"ratio must be within 0..1, got {rule.ratio}")
        with self._lock:
            self._rules.append(rule)

    def decide(self, method: str, path: str) -> Decision:
        latency = 0.0
        fail_status: int | None = None
        fail_stage = "before"
        drop: str | None = None
        drop_stage = "after"
        with self._lock:
            for rule in list(self._rules):
                if not rule.scope.matches(method, path):
                    continue
                if rule.kind == "latency":
                    latency += rule.latency
                    continue
                if rule.remaining is not None:
                    hit = rule.remaining > 0
                    if hit:
                        rule.remaining -= 1
                        if rule.remaining == 0:
                            self._rules.remove(rule)
                else:
                    hit = self._rng.random() < rule.ratio
                if not hit:
                    continue
                if rule.kind == "fail" and fail_status is None and drop is None:
                    fail_status = self._rng.choice(rule.statuses)
                    fail_stage = rule.stage
                elif rule.kind == "drop" and drop is None and fail_status is None:
                    drop = rule.where
                    drop_stage = rule.stage
        return Decision(latency, fail_status, fail_stage, drop, drop_stage)


def _check_stage(stage: str) -> str:
    if stage not in ("before", "after"):
        raise ValueError(f"stage must be 'before' or 'after', got {stage!r}")
    return stage


def _check_where(where: str) -> str:
    if where not in ("headers", "body"):
        raise ValueError(f"where must be 'headers' or 'body', got {where!r}")
    return where


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int  # 0 when the connection was dropped before a status line
    fault: str | None  # "fail", "drop:headers", "drop:body" or None
    duration: float


@dataclass
class RequestLog:
    """Every request the gateway answered, in order, with per-path counters."""

    _entries: list[LoggedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    @property
    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def counts(self) -> Counter[str]:
        """``"METHOD /path"`` -> how many times it was requested."""
        with self._lock:
            return Counter(f"{e.method} {e.path}" for e in self._entries)

    def count(self, path_prefix: str = "", method: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for e in self._entries
                if e.path.startswith(path_prefix) and (method is None or e.method == method)
            )

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
