"""Cell suppression for the councils' anonymous statistics.

A council downloads whole tables of counts: every area and every period of a year, totals
included. A count from 1 to ``threshold - 1`` could point at a person, so it is never shown
("<5"); and because published totals are sums, a hidden count could be worked out from its
neighbours, so further cells are hidden (shown as a dash) until it cannot.

What an attacker is assumed to know: every published count, every sum between cells, and the
markers: "<5" is 1..threshold-1, a dash is at least the threshold (the engine picks non-zero
partners; where it did hide a 0, the attacker is assumed to know that it is 0). Guaranteed,
for every result of ``suppress`` and ``suppress_fallback``:

1. Linear: no hidden cell is a linear combination of published cells (exact Gaussian
   elimination over the integers).
2. Intervals: an attacker who plays every sum against the others' bounds, again and again
   until nothing moves (bound propagation over all the equations, with the cells of 1. as
   known), gets for each "<5" cell the same range it would get if every count that may be
   hidden were hidden. That is the whole 1..threshold-1 except where the markers alone say
   more (four "<5" parts of a "<5" total of four are 1 each, whatever else is hidden; a
   "<5" total of two "<5" parts is at least 2).
3. Not pinned: for each "<5" cell, some count other than the true one survives "probing"
   (assume it, propagate as in 2., find no contradiction), unless hiding everything would
   not help either. Probing catches what several sums rule out together, such as a cycle of
   dashes that are all exactly the threshold.

Not guaranteed: an attacker who solves the integer program over all sums together can still
narrow a "<5" cell below 1..threshold-1 (seen: 3..4) and, in principle, pin it where probing
finds no contradiction; the enumerating property test has not found such a table. Nothing is
said about dashes, which hide no small count, or about what other publications outside the
``fixed`` cells add.

The module is pure Python on purpose: the nightly statistics job calls it with plain dicts,
and the tests (including property tests playing three attackers) run without a database.
Everything is exact integer arithmetic; a floating-point rank test could call a recoverable
cell safe.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import math
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

Cell = tuple[str, ...]
"""One node name per dimension, e.g. ``("skole", "Aarhus", "2026-Q1")``."""

_Bounds = tuple[list[int], list[int | None]]
"""An attacker's least and most possible count per cell (``None``: no upper bound)."""


@dataclass(frozen=True)
class Dimension:
    """One axis of a statistics table.

    ``total`` names the node that is the sum of the leaves (a police district over its
    municipalities, a year over its quarters). It is ``None`` where the leaves do not add up
    (one concern may carry several categories), so no equation links them and publishing
    one category never reveals another.
    """

    leaves: tuple[str, ...]
    total: str | None = None

    def __post_init__(self) -> None:
        # A repeated or empty node would make two cells one and break the sums silently.
        if not self.leaves or len(set(self.leaves)) != len(self.leaves):
            raise ValueError("a dimension needs distinct leaves")
        if self.total is not None and self.total in self.leaves:
            raise ValueError("the total must not also be a leaf")

    @property
    def nodes(self) -> tuple[str, ...]:
        """Leaves, then the total if there is one: every value this axis takes in a cell."""
        return self.leaves if self.total is None else (*self.leaves, self.total)


@dataclass(frozen=True)
class Equation:
    """``value[total] == sum(value[p] for p in parts)``: what an attacker can combine."""

    total: Cell
    parts: tuple[Cell, ...]


class Hidden(enum.Enum):
    """Why a cell is not published; the UI shows the two differently."""

    SMALL = "small"  # primary: 1..threshold-1, shown as "<5"
    SECONDARY = "secondary"  # hidden so that a small one cannot be recovered, shown as a dash


def cube(
    dims: Sequence[Dimension], atoms: Mapping[Cell, int]
) -> tuple[dict[Cell, int], list[Equation]]:
    """All cells (every combination of every dimension's leaves and total) with their values,
    summed from the leaf-level ``atoms`` (missing atoms are 0), and every equation that holds
    between them (for each dimension with a total, for each combination of the other
    dimensions' nodes: total = sum of leaves).

    Totals are summed here rather than taken from separate queries so that the published
    table is arithmetically consistent: the suppression is only as good as the equations.
    """
    values = _atom_values(dims, atoms)
    for axis, dim in enumerate(dims):
        if dim.total is not None:
            _add_total(values, axis, dim.total)
    return values, _cube_equations(dims)


def _atom_values(dims: Sequence[Dimension], atoms: Mapping[Cell, int]) -> dict[Cell, int]:
    """Every leaf combination, 0 where no atom is given; unknown or negative atoms fail."""
    leaf_cells = itertools.product(*(dim.leaves for dim in dims))
    values: dict[Cell, int] = dict.fromkeys(leaf_cells, 0)
    for cell, count in atoms.items():
        if cell not in values:
            raise ValueError(f"atom {cell!r} is not a combination of the dimensions' leaves")
        if count < 0:
            raise ValueError(f"atom {cell!r} has a negative count")
        values[cell] = count
    return values


def _add_total(values: dict[Cell, int], axis: int, total: str) -> None:
    """Add the cells with ``total`` on ``axis``, summing the cells already present."""
    for cell, count in list(values.items()):
        summed = _at(cell, axis, total)
        values[summed] = values.get(summed, 0) + count


def _cube_equations(dims: Sequence[Dimension]) -> list[Equation]:
    equations: list[Equation] = []
    for axis, dim in enumerate(dims):
        if dim.total is None:
            continue
        others = [d.nodes if i != axis else ("",) for i, d in enumerate(dims)]
        for combo in itertools.product(*others):
            parts = tuple(_at(combo, axis, leaf) for leaf in dim.leaves)
            equations.append(Equation(_at(combo, axis, dim.total), parts))
    return equations


def _at(cell: Cell, axis: int, node: str) -> Cell:
    return (*cell[:axis], node, *cell[axis + 1 :])


def suppress(
    values: Mapping[Cell, int],
    equations: Sequence[Equation],
    *,
    threshold: int = 5,
    fixed: Mapping[Cell, Hidden | None] | None = None,
) -> dict[Cell, Hidden]:
    """The hidden cells and why. ``fixed``: cells whose state an earlier publication already
    decided (None = published, Hidden = hidden); they never change (a quarter published in
    April keeps its figures when the year is published in January). Raise ValueError if a
    fixed-published cell is small.

    Guarantees: every non-fixed cell with ``1 <= value < threshold`` is ``SMALL`` (0 is
    published: an empty cell identifies nobody); no hidden cell is a linear combination of
    published cells under ``equations``, and the ranges of the small cells are kept as the
    module docstring says; the result depends only on the input (ties break on sorted cell
    names). Secondary cells are chosen greedily: for an exposed cell, the smallest non-zero
    leaf that shares an equation with it, then totals, then cells further away, zeros last;
    for a narrowed range, the cheapest cell in the narrowing sum that restores it (often the
    total: a dash of exactly the threshold leaves a "<5" beside it no room). Needless ones are
    published again, and probing for pinned cells runs last, as it only ever adds cells.
    Raise ValueError if ``fixed`` makes a safe result impossible, which cannot happen when
    ``fixed`` came from an earlier safe run over a sub-table (see ``suppress_fallback``).
    """
    problem = _Problem(values, equations, threshold, fixed or {})
    problem.pair_up(range(len(problem.equations)))
    problem.protect()
    if problem.exposed():
        problem.widen()
        if problem.exposed():
            raise ValueError("the fixed cells leave a hidden cell recoverable")
        problem.protect()
    problem.settle_given_up()
    problem.publish_determined_secondaries()
    problem.drop_needless_secondaries()
    problem.unpin()
    problem.publish_determined_secondaries()
    return problem.result()


def suppress_fallback(
    values: Mapping[Cell, int],
    equations: Sequence[Equation],
    *,
    threshold: int = 5,
    fixed: Mapping[Cell, Hidden | None] | None = None,
) -> dict[Cell, Hidden]:
    """The bluntest safe answer: the small cells, plus every non-fixed cell that shares an
    equation with a hidden one, plus what the ranges need (as in ``suppress``), minus the
    secondaries that are recoverable anyway (publishing a recoverable cell tells nobody
    anything new).

    ``suppress`` falls back to this when its greedy choice runs out of candidates; it is public
    so that a test can show it is safe whenever ``fixed`` came from a safe earlier run.
    """
    problem = _Problem(values, equations, threshold, fixed or {})
    problem.widen()
    problem.protect()
    problem.unpin()
    problem.publish_determined_secondaries()
    return problem.result()


class _Problem:
    """Cells as integer indices (in sorted cell order, which makes every tie-break
    deterministic) and equations as sparse integer rows."""

    def __init__(
        self,
        values: Mapping[Cell, int],
        equations: Sequence[Equation],
        threshold: int,
        fixed: Mapping[Cell, Hidden | None],
    ) -> None:
        if threshold < 1:
            raise ValueError("the threshold must be at least 1")
        _check_input(values, equations, threshold, fixed)
        self.cells = sorted(values)
        index = {cell: i for i, cell in enumerate(self.cells)}
        self.values = [values[cell] for cell in self.cells]
        # Sorted so that the order the caller lists the equations in cannot change the result.
        rows = (_row(eq, index) for eq in equations)
        self.equations = sorted(rows, key=lambda row: sorted(row.items()))
        self.cell_equations: list[list[int]] = [[] for _ in self.cells]
        for e, row in enumerate(self.equations):
            for i in row:
                self.cell_equations[i].append(e)
        # A cell that is the total of k equations is a total on k axes: hiding it costs most.
        self.total_rank = [0] * len(self.cells)
        for eq in equations:
            self.total_rank[index[eq.total]] += 1
        self.fixed = {index[cell] for cell in fixed}
        self.hidden: dict[int, Hidden] = {index[c]: h for c, h in fixed.items() if h is not None}
        for i, value in enumerate(self.values):
            if i not in self.fixed and 1 <= value < threshold:
                self.hidden[i] = Hidden.SMALL
        # Fixed secondaries must stay unrecoverable too: they were published as a dash already.
        self.protected = set(self.hidden)
        # The last two hidden sets: trying to publish one cell and putting it back is common.
        self._determined_for: dict[frozenset[int], set[int]] = {}
        self._bounds_for: tuple[frozenset[int], _Bounds] | None = None
        self.threshold = threshold
        self.targets = self.widest_ranges()
        self.given_up: set[int] = set()

    def result(self) -> dict[Cell, Hidden]:
        return {self.cells[i]: self.hidden[i] for i in sorted(self.hidden)}

    def can_hide(self, i: int) -> bool:
        return i not in self.hidden and i not in self.fixed

    def hide(self, i: int) -> None:
        self.hidden[i] = Hidden.SECONDARY

    def pair_up(self, todo: range | list[int]) -> None:
        """Give every equation with exactly one hidden cell a second one.

        Necessary, not sufficient: a hidden cell alone in an equation is its total minus the
        published parts. Doing this cheap local pass first leaves little for the exact check.
        """
        queue = deque(todo)
        while queue:
            e = queue.popleft()
            row = self.equations[e]
            if sum(1 for i in row if i in self.hidden) != 1:
                continue
            choices = [i for i in row if self.can_hide(i) and self.values[i] > 0]
            if choices:
                chosen = min(choices, key=self.cost)
                self.hide(chosen)
                queue.extend(self.cell_equations[chosen])

    def cost(self, i: int) -> tuple[int, int, int]:
        return (self.total_rank[i], self.values[i], i)

    def determined(self) -> set[int]:
        """Hidden cells that are linear combinations of published ones (cached per hidden
        set: the exact check is the expensive step)."""
        key = frozenset(self.hidden)
        if key not in self._determined_for:
            rows = [{i: c for i, c in row.items() if i in key} for row in self.equations]
            found = _determined([row for row in rows if row])
            self._determined_for = {**dict(list(self._determined_for.items())[-1:]), key: found}
        return self._determined_for[key]

    def exposed(self) -> list[int]:
        return sorted(self.determined() & self.protected)

    def protect(self) -> None:
        """Hide cells greedily until no protected cell is exposed and no range is narrowed,
        or nothing more helps (then ``exposed`` stays non-empty for the caller to handle).
        Exposure first: the exact check decides what the bounds may take as known."""
        while True:
            if exposed := self.exposed():
                if self.hide_for(exposed):
                    continue
                return
            if not (narrowed := self.narrowed()) or not self.widen_ranges(narrowed):
                return

    def hide_for(self, exposed: list[int]) -> bool:
        """Hide one more cell for each exposed cell (skipping those next to one already
        helped this round, as one cell often protects both); False if nothing is left."""
        touched: set[int] = set()
        chosen: list[int] = []
        for s in exposed:
            if s in touched:
                continue
            candidate = self.nearest_candidate(s)
            if candidate is None:
                continue
            self.hide(candidate)
            chosen.append(candidate)
            for cell in (s, candidate):
                touched.update(i for e in self.cell_equations[cell] for i in self.equations[e])
        self.pair_up([e for i in chosen for e in self.cell_equations[i]])
        return bool(chosen)

    def nearest_candidate(self, start: int) -> int | None:
        """The cheapest hideable cell by (zero last, distance, totals, value, name)."""
        best: tuple[int, int, int, int, int] | None = None
        for i, distance in self.distances(start).items():
            if self.can_hide(i):
                key = (self.values[i] == 0, distance, *self.cost(i))
                best = key if best is None or key < best else best
        return None if best is None else best[-1]

    def distances(self, start: int) -> dict[int, int]:
        """Breadth-first distance over 'shares an equation with'."""
        seen = {start: 0}
        frontier = [start]
        while frontier:
            following: list[int] = []
            for cell in frontier:
                for e in self.cell_equations[cell]:
                    for i in self.equations[e]:
                        if i not in seen:
                            seen[i] = seen[cell] + 1
                            following.append(i)
            frontier = following
        return seen

    def widen(self) -> None:
        """Hide every hideable cell that shares an equation with a hidden one."""
        linked = {
            i
            for row in self.equations
            if any(j in self.hidden for j in row)
            for i in row
            if self.can_hide(i)
        }
        for i in linked:
            self.hide(i)

    def drop_needless_secondaries(self) -> None:
        """Publish again each secondary the others make unnecessary, costliest first.

        The greedy rounds add cells one exposure at a time, so a later choice can make an
        earlier one redundant; this pass is what "only where needed" means in practice.
        """
        secondaries = [i for i, h in self.hidden.items() if h is Hidden.SECONDARY]
        for i in sorted(secondaries, key=self.cost, reverse=True):
            if i in self.fixed or i not in self.hidden:
                continue
            bounds = self.bounds_if_published(i)
            if bounds is None:
                continue
            self.publish_determined_secondaries()
            # The determined secondaries just published are exact in ``bounds`` already.
            self._bounds_for = (frozenset(self.hidden), bounds)

    def bounds_if_published(self, i: int) -> _Bounds | None:
        """Publish secondary ``i`` if that exposes nothing and narrows no range, and return
        the attacker's bounds then; None (and ``i`` stays hidden) otherwise.

        The range check runs first and from the current bounds plus the one new count (cheap);
        the exact linear check runs only if that passes.
        """
        low, high = self.current_bounds()
        bounds = (list(low), list(high))
        bounds[0][i] = self.values[i]
        bounds[1][i] = self.values[i]
        self.propagate(bounds, self.cell_equations[i])
        if self.narrowed(bounds):
            return None
        before = self.determined()
        del self.hidden[i]
        if self.exposed():
            self.hide(i)
            return None
        newly = self.determined() - before
        for j in newly:
            bounds[0][j] = bounds[1][j] = self.values[j]
        self.propagate(bounds, {e for j in newly for e in self.cell_equations[j]})
        if self.narrowed(bounds):
            self.hide(i)
            return None
        return bounds

    def attacker_bounds(self, hidden: Mapping[int, Hidden], known: Collection[int]) -> _Bounds:
        """The least and most each cell can be for an attacker who reads the markers ("<5":
        1..threshold-1; a dash: at least the threshold) and plays them against the published
        sums. ``known``: hidden cells the attacker can compute anyway.

        A hidden 0 counts as known: the markers promise a dash is 0 or at least the
        threshold, and assuming the attacker can tell which is the cautious reading.
        """
        low: list[int] = list(self.values)
        high: list[int | None] = list(self.values)
        free: list[int] = []
        for i, why in hidden.items():
            value = self.values[i]
            if i in known:
                continue
            if why is Hidden.SMALL and 1 <= value < self.threshold:
                low[i], high[i] = 1, self.threshold - 1
            elif why is Hidden.SECONDARY and value >= self.threshold:
                low[i], high[i] = self.threshold, None
            else:
                continue
            free.append(i)
        bounds = (low, high)
        self.propagate(bounds, {e for i in free for e in self.cell_equations[i]})
        return bounds

    def propagate(self, bounds: _Bounds, todo: Iterable[int], *, probe: bool = False) -> bool:
        """Tighten ``bounds`` to a fixpoint, starting with the equations ``todo``: what an
        attacker gets by playing each sum against the others' bounds, again and again.
        False if the bounds contradict each other (only possible for a ``probe``: bounds
        that assume a count other than the true one).

        Sound because the true counts satisfy every equation and every starting bound, so no
        bound ever passes them; it ends because bounds only move inwards, in integer steps,
        towards the truth. Starting from a fixpoint for less knowledge is as sound (its bounds
        still hold), which makes publishing one more cell cheap to check.
        """
        low, high = bounds
        queue = deque(sorted(todo))
        queued = set(queue)
        while queue:
            e = queue.popleft()
            queued.discard(e)
            for i, (lo, hi) in _row_bounds(self.equations[e], bounds, exact_too=probe).items():
                old = high[i]
                tighter_lo = lo is not None and lo > low[i]
                tighter_hi = hi is not None and (old is None or hi < old)
                if tighter_lo:
                    low[i] = lo  # type: ignore[assignment]  # not None: checked just above
                if tighter_hi:
                    high[i] = hi
                new_hi = high[i]
                if new_hi is not None and low[i] > new_hi:
                    return False
                if tighter_lo or tighter_hi:
                    for other in self.cell_equations[i]:
                        if other not in queued:
                            queued.add(other)
                            queue.append(other)
        return True

    def pinned(self, p: int, bounds: _Bounds) -> bool:
        """Whether every count for ``p`` but the true one contradicts the bounds once played
        through the sums ("probing": catches what several sums rule out together, such as a
        cycle of dashes that are all exactly the threshold)."""
        low, high = bounds
        top = high[p]
        true = self.values[p]
        others = [v for v in range(low[p], (true + 1 if top is None else top) + 1) if v != true]
        for v in sorted(others, key=lambda v: (abs(v - true), v)):
            trial = (list(low), list(high))
            trial[0][p] = trial[1][p] = v
            if self.propagate(trial, self.cell_equations[p], probe=True):
                return False
        return True

    def unpin(self) -> None:
        """Hide more until no small cell is pinned by probing, where its widest range allows.

        Run last: hiding more only widens ranges and never makes a hidden cell recoverable, so
        nothing checked before can break, and a cell unpinned stays unpinned.
        """
        todo = [p for p, (lo, hi) in sorted(self.targets.items()) if lo != hi]
        while todo:
            bounds = self.current_bounds()
            todo = [p for p in todo if self.pinned(p, bounds)]
            chosen = [c for p in todo if (c := self.unpin_candidate(p, bounds)) is not None]
            for c in dict.fromkeys(chosen):
                self.hide(c)
            if not chosen:
                return
            self.pair_up([e for i in chosen for e in self.cell_equations[i]])

    def unpin_candidate(self, p: int, bounds: _Bounds) -> int | None:
        """The cheapest cell in ``p``'s sums whose hiding unpins it, else the nearest cell with
        some room above the threshold (a dash of exactly the threshold cannot go down)."""
        options = [
            (distance, self.values[i] <= self.threshold, *self.cost(i))
            for i, distance in self.distances(p).items()
            if self.can_hide(i) and self.values[i] >= self.threshold
        ]
        low, high = bounds
        for *_, c in sorted(o for o in options if o[0] == 1):
            saved = low[c], high[c]
            low[c], high[c] = self.threshold, None
            unpinned = not self.pinned(p, bounds)
            low[c], high[c] = saved
            if unpinned:
                return c
        return min(options)[-1] if options else None

    def current_bounds(self) -> _Bounds:
        """The attacker's bounds for the current result (cached per hidden set)."""
        known = self.determined()
        key = frozenset(self.hidden)
        if self._bounds_for is None or self._bounds_for[0] != key:
            self._bounds_for = (key, self.attacker_bounds(self.hidden, known))
        return self._bounds_for[1]

    def widest_ranges(self) -> dict[int, tuple[int, int | None]]:
        """Each small cell's attacker range with every cell that may be hidden hidden: the
        widest any result can give it. Usually 1..threshold-1; narrower when the markers
        alone say more (four "<5" parts of a "<5" total are 1 each, whatever else is shown).
        """
        everything = dict(self.hidden)
        for i, value in enumerate(self.values):
            if self.can_hide(i) and value > 0:
                everything[i] = Hidden.SECONDARY
        low, high = self.attacker_bounds(everything, ())
        return {
            p: (low[p], high[p])
            for p, why in self.hidden.items()
            if why is Hidden.SMALL and 1 <= self.values[p] < self.threshold
        }

    def narrowed(self, bounds: _Bounds | None = None) -> list[int]:
        """Small cells whose attacker range is narrower than it has to be."""
        low, high = self.current_bounds() if bounds is None else bounds
        return [
            p
            for p, widest in sorted(self.targets.items())
            if p not in self.given_up and (low[p], high[p]) != widest
        ]

    def widen_ranges(self, narrowed: list[int]) -> bool:
        """Hide one more cell for each narrowed cell (one per neighbourhood per round, as in
        ``hide_for``); False once nothing is left to try."""
        bounds = self.current_bounds()
        touched: set[int] = set()
        chosen: list[int] = []
        for p in narrowed:
            if p in touched:
                continue
            candidate = self.range_candidate(p, bounds)
            if candidate is None:
                # Hiding everything would widen it, but not one cell at a time from here.
                self.given_up.add(p)
                continue
            self.hide(candidate)
            chosen.append(candidate)
            for cell in (p, candidate):
                touched.update(i for e in self.cell_equations[cell] for i in self.equations[e])
        self.pair_up([e for i in chosen for e in self.cell_equations[i]])
        return bool(chosen) or bool(self.given_up & set(narrowed))

    def settle_given_up(self) -> None:
        """Make the ranges the greedy rounds reached for the cells they gave up on the new
        targets, so that dropping needless secondaries cannot narrow them further."""
        low, high = self.current_bounds()
        for p in self.given_up:
            self.targets[p] = (low[p], high[p])
        self.given_up.clear()

    def range_candidate(self, p: int, bounds: _Bounds) -> int | None:
        """The cell whose hiding widens ``p``'s range in one of its sums: the cheapest that
        restores the whole range there, else the one that widens it most; failing both, the
        nearest cell that may still be hidden and is not 0 (a hidden 0 counts as known)."""
        low, high = bounds
        best: tuple[bool, int, tuple[int, int, int]] | None = None
        for e in self.cell_equations[p]:
            row = self.equations[e]
            if _row_range(p, row, bounds) == self.targets[p]:
                continue
            for c in row:
                if not self.can_hide(c) or self.values[c] < self.threshold:
                    continue
                saved = low[c], high[c]
                low[c], high[c] = self.threshold, None
                got = _row_range(p, row, bounds)
                low[c], high[c] = saved
                key = (got != self.targets[p], -_width(got), self.cost(c))
                best = key if best is None or key < best else best
        if best is not None:
            return best[-1][-1]
        nearby = [
            (distance, self.cost(i))
            for i, distance in self.distances(p).items()
            if self.can_hide(i) and self.values[i] >= self.threshold
        ]
        return min(nearby)[1][-1] if nearby else None

    def publish_determined_secondaries(self) -> None:
        """A recoverable secondary protects nothing; publishing it reveals nothing new (its
        value already follows from the published cells) and leaves every other cell as
        recoverable or not as it was."""
        for i in self.determined():
            if i not in self.fixed and self.hidden[i] is Hidden.SECONDARY:
                del self.hidden[i]


def _check_input(
    values: Mapping[Cell, int],
    equations: Sequence[Equation],
    threshold: int,
    fixed: Mapping[Cell, Hidden | None],
) -> None:
    """Fail loudly on input that would make the guarantees meaningless."""
    if any(v < 0 for v in values.values()):
        raise ValueError("counts cannot be negative")
    unknown = [c for eq in equations for c in (eq.total, *eq.parts) if c not in values]
    unknown += [c for c in fixed if c not in values]
    if unknown:
        raise ValueError(f"unknown cell {unknown[0]!r}")
    for cell, state in fixed.items():
        if state is None and 1 <= values[cell] < threshold:
            raise ValueError(f"fixed-published cell {cell!r} is small")


def _row(equation: Equation, index: Mapping[Cell, int]) -> dict[int, int]:
    """``total - sum(parts) == 0`` as a sparse row (a repeated cell adds up)."""
    row: dict[int, int] = {index[equation.total]: 1}
    for part in equation.parts:
        i = index[part]
        row[i] = row.get(i, 0) - 1
    return {i: c for i, c in row.items() if c}


def _determined(rows: list[dict[int, int]]) -> set[int]:
    """Columns ``s`` with the unit vector ``e_s`` in the row space: exactly the hidden cells
    whose value follows from the published ones.

    Sparse Gauss-Jordan over the integers (rows scaled by their gcd, so nothing grows without
    bound and nothing is rounded). In the reduced form, ``e_s`` is in the row space iff ``s``
    is a pivot whose row has no other entry.
    """
    pivots: dict[int, dict[int, int]] = {}  # pivot column -> its fully reduced row
    holders: dict[int, set[int]] = {}  # non-pivot column -> pivot columns whose row has it
    order = [(len(row), n) for n, row in enumerate(rows)]
    heapq.heapify(order)
    while order:
        _, n = heapq.heappop(order)
        row = _reduce(rows[n], pivots)
        if not row:
            continue
        col = _choose_pivot(row, holders)
        for other in holders.pop(col, set()):
            _eliminate(pivots, holders, other, col, row)
        pivots[col] = row
        for i in row:
            if i != col:
                holders.setdefault(i, set()).add(col)
    return {col for col, row in pivots.items() if len(row) == 1}


def _reduce(row: dict[int, int], pivots: Mapping[int, dict[int, int]]) -> dict[int, int]:
    # Pivot rows hold no other pivot column, so one pass clears them all.
    for col in [i for i in row if i in pivots]:
        if col in row:
            row = _combine(row, pivots[col], col)
    return row


def _eliminate(
    pivots: dict[int, dict[int, int]],
    holders: dict[int, set[int]],
    target: int,
    col: int,
    row: dict[int, int],
) -> None:
    """Clear ``col`` from pivot row ``target`` using the new pivot ``row``."""
    old = pivots[target]
    new = _combine(old, row, col)
    for i in old.keys() - new.keys():
        if i not in (target, col):
            holders[i].discard(target)
    for i in new.keys() - old.keys():
        holders.setdefault(i, set()).add(target)
    pivots[target] = new


def _combine(row: dict[int, int], pivot: dict[int, int], col: int) -> dict[int, int]:
    """``row`` with ``col`` cleared by a multiple of ``pivot``, divided by its gcd."""
    a, b = pivot[col], row[col]
    g = math.gcd(a, b)
    ka, kb = a // g, b // g
    out = {i: c * ka for i, c in row.items()} if ka != 1 else dict(row)
    for i, c in pivot.items():
        v = out.get(i, 0) - c * kb
        if v:
            out[i] = v
        else:
            out.pop(i, None)
    divisor = math.gcd(*out.values()) if out else 1
    if divisor > 1:
        out = {i: c // divisor for i, c in out.items()}
    return out


def _choose_pivot(row: dict[int, int], holders: Mapping[int, set[int]]) -> int:
    """Prefer a unit coefficient (no scaling) in the column fewest rows hold (least fill-in)."""
    return min(row, key=lambda i: (abs(row[i]) != 1, len(holders.get(i, ())), i))


def _row_bounds(
    row: Mapping[int, int], bounds: _Bounds, *, exact_too: bool = False
) -> dict[int, tuple[int | None, int | None]]:
    """Each cell's bounds from ``sum(c * x) == 0`` and the others' bounds, rounded inwards to
    integers; ``None`` where the row gives no bound on that side. Cells already exact are left
    out unless ``exact_too`` (a probe looks for a contradiction there)."""
    low, high = bounds
    # Per term, the least and the most c * x can be (None: without limit).
    least = {i: c * low[i] if c > 0 else _times(c, high[i]) for i, c in row.items()}
    most = {i: _times(c, high[i]) if c > 0 else c * low[i] for i, c in row.items()}
    least_sum, least_open = _split_sum(least.values())
    most_sum, most_open = _split_sum(most.values())
    out: dict[int, tuple[int | None, int | None]] = {}
    for i, c in row.items():
        if low[i] == high[i] and not exact_too:
            continue
        rest_least = _rest(least_sum, least_open, least[i])
        rest_most = _rest(most_sum, most_open, most[i])
        # c * x_i == -rest, and rest lies in [rest_least, rest_most].
        lowest = None if rest_most is None else -rest_most
        highest = None if rest_least is None else -rest_least
        if c < 0:
            lowest, highest = _negate(highest), _negate(lowest)
        out[i] = (
            None if lowest is None else -(-lowest // abs(c)),
            None if highest is None else highest // abs(c),
        )
    return out


def _row_range(p: int, row: Mapping[int, int], bounds: _Bounds) -> tuple[int, int | None]:
    """``p``'s range from its bounds and this one row, the others at their bounds."""
    low, high = bounds
    lowest, highest = _row_bounds(row, bounds).get(p, (None, None))
    lo = low[p] if lowest is None else max(lowest, low[p])
    old = high[p]
    hi = old if highest is None else highest if old is None else min(highest, old)
    return lo, hi


def _times(c: int, bound: int | None) -> int | None:
    return None if bound is None else c * bound


def _negate(bound: int | None) -> int | None:
    return None if bound is None else -bound


def _split_sum(terms: Iterable[int | None]) -> tuple[int, int]:
    """The sum of the bounded terms and how many are unbounded."""
    total, unbounded = 0, 0
    for t in terms:
        if t is None:
            unbounded += 1
        else:
            total += t
    return total, unbounded


def _rest(total: int, unbounded: int, term: int | None) -> int | None:
    """The sum without ``term``: unbounded if any other term is."""
    if term is None:
        return None if unbounded > 1 else total
    return None if unbounded else total - term


def _width(bounds: tuple[int, int | None]) -> int:
    low, high = bounds
    return 1 << 60 if high is None else high - low
