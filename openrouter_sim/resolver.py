"""Which epoch is active now, and which model a Pareto request gets (with session stickiness)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from openrouter_sim.catalog import ModelInfo
from openrouter_sim.frontier import Band, Epoch, FrontierSchedule, MaxPrice, band_for_score

STICKY_WINDOW_S = 300.0  # OpenRouter keeps a session on one model for about 5 minutes
# Bound on remembered sessions; the oldest are forgotten first (FIFO by first pick).
MAX_SESSIONS = 100_000


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving `openrouter/pareto-code[:nitro]` for one request."""

    model: ModelInfo
    band: Band
    epoch_index: int
    epoch: Epoch
    candidates: tuple[ModelInfo, ...]  # the band's shortlist after max_price, in list order
    sticky: bool  # true when a session's earlier pick was reused


@dataclass(frozen=True)
class _StickyEntry:
    model_id: str
    picked_at: float  # sim clock seconds


class ParetoResolver:
    """Thread-safe: the schedule position comes from the injected clock.

    Stickiness is keyed by (session_id, nitro, band): a council session whose seats ask for
    different tiers keeps one model per tier. The window runs 300 s from the first pick (it is
    not extended by reuse). A sticky model is kept across an epoch shift while it is still in
    the catalog and within max_price, as OpenRouter keeps a session "when it can".
    """

    def __init__(
        self,
        schedule: FrontierSchedule,
        clock: Callable[[], float],
        shift_every_s: float | None,
        start: float | None = None,
    ) -> None:
        if shift_every_s is not None and shift_every_s <= 0:
            raise ValueError("shift_every_s must be > 0 seconds or None")
        self.schedule = schedule
        self.shift_every_s = shift_every_s
        self._clock = clock
        self.start = clock() if start is None else start
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, bool, Band], _StickyEntry] = {}
        self._pinned: int | None = None

    def now(self) -> float:
        return self._clock()

    def pin_epoch(self, index: int | None) -> None:
        """Hold the frontier at epoch `index` (None: follow the schedule again)."""
        if index is not None and not 0 <= index < len(self.schedule.epochs):
            raise ValueError(f"epoch must be in 0..{len(self.schedule.epochs) - 1}")
        with self._lock:
            self._pinned = index

    def epoch_index(self, now: float | None = None) -> int:
        with self._lock:
            pinned = self._pinned
        if pinned is not None:
            return pinned
        at = self._clock() if now is None else now
        return self.schedule.epoch_index(at - self.start, self.shift_every_s)

    def current_epoch(self) -> Epoch:
        return self.schedule.epochs[self.epoch_index()]

    def next_shift_at(self) -> float | None:
        """Sim-clock time of the next scheduled shift (None when the frontier never shifts)."""
        if self.shift_every_s is None or self._pinned is not None:
            return None
        steps = int((self._clock() - self.start) // self.shift_every_s) + 1
        return self.start + steps * self.shift_every_s

    def resolve(
        self,
        min_coding_score: float | None,
        *,
        nitro: bool = False,
        session_id: str | None = None,
        max_price: MaxPrice | None = None,
        commit: bool = True,
    ) -> Resolution:
        """Pick a model now. `commit=False` predicts without recording a sticky session.

        Raises LookupError when max_price excludes every model of the band.
        """
        now = self._clock()
        index = self.epoch_index(now)
        epoch = self.schedule.epochs[index]
        band = band_for_score(min_coding_score)
        candidates = tuple(epoch.candidates(band, max_price))
        key = (session_id, nitro, band) if session_id else None
        with self._lock:
            entry = self._sessions.get(key) if key else None
            if entry is not None and now - entry.picked_at < STICKY_WINDOW_S:
                kept = epoch.model(entry.model_id)
                if kept is not None and (max_price is None or max_price.allows(kept)):
                    return Resolution(kept, band, index, epoch, candidates, sticky=True)
            model = epoch.model(epoch.pick(band, nitro=nitro, max_price=max_price))
            assert model is not None  # pick() only returns ids of this epoch's catalog
            if key is not None and commit:
                self._remember(key, _StickyEntry(model.id, now))
        return Resolution(model, band, index, epoch, candidates, sticky=False)

    def _remember(self, key: tuple[str, bool, Band], entry: _StickyEntry) -> None:
        self._sessions.pop(key, None)
        self._sessions[key] = entry
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.pop(next(iter(self._sessions)))

    def clear_sessions(self) -> None:
        with self._lock:
            self._sessions.clear()
