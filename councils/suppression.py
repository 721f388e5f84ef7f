"""Cell suppression for the councils' anonymous statistics.

A council downloads whole tables of counts: every area and every period of a year, totals
included. A count from 1 to ``threshold - 1`` could point at a person, so it is never shown
("<5"); and because published totals are sums, a hidden count could be worked out from its
neighbours, so further cells are hidden (shown as a dash) until no hidden cell can be recovered by any
linear combination of what is published.

The module is pure Python on purpose: the nightly statistics job calls it with plain dicts,
and the tests (including a property test playing the attacker) run without a database.
Everything is exact integer arithmetic; a floating-point rank test could call a recoverable
cell safe.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Cell = tuple[str, ...]
"""One node name per dimension, e.g. ``("skole", "Aarhus", "2026-Q1")``."""


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
    published cells under ``equations``; the result depends only on the input (ties break on
    sorted cell names). Secondary cells are chosen greedily: the smallest non-zero leaf that
    shares an equation with an exposed cell, then totals, then cells further away, zeros last.
    Raise ValueError if ``fixed`` makes a safe result impossible, which cannot happen when
    ``fixed`` came from an earlier safe run over a sub-table (see ``suppress_fallback``).
    """
    problem = _Problem(values, equations, threshold, fixed or {})
    problem.pair_up(range(len(problem.equations)))
    while exposed := problem.exposed():
        if not problem.hide_for(exposed):
            break
    if problem.exposed():
        problem.widen()
        if problem.exposed():
            raise ValueError("the fixed cells leave a hidden cell recoverable")
    problem.publish_determined_secondaries()
    problem.drop_needless_secondaries()
    return problem.result()


def suppress_fallback(
    values: Mapping[Cell, int],
    equations: Sequence[Equation],
    *,
    threshold: int = 5,
    fixed: Mapping[Cell, Hidden | None] | None = None,
) -> dict[Cell, Hidden]:
    """The bluntest safe answer: the small cells, plus every non-fixed cell that shares an
    equation with a hidden one, minus the secondaries that are recoverable anyway (publishing
    a recoverable cell tells nobody anything new).

    ``suppress`` falls back to this when its greedy choice runs out of candidates; it is public
    so that a test can show it is safe whenever ``fixed`` came from a safe earlier run.
    """
    problem = _Problem(values, equations, threshold, fixed or {})
    problem.widen()
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
        self._determined_for: tuple[frozenset[int], set[int]] | None = None

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
        if self._determined_for is None or self._determined_for[0] != key:
            rows = [{i: c for i, c in row.items() if i in key} for row in self.equations]
            self._determined_for = (key, _determined([row for row in rows if row]))
        return self._determined_for[1]

    def exposed(self) -> list[int]:
        return sorted(self.determined() & self.protected)

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
            del self.hidden[i]
            if self.exposed():
                self.hide(i)
            else:
                self.publish_determined_secondaries()

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
