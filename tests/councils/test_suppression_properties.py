"""The attacker's view of councils.suppression, written independently of the engine.

Three attackers. The linear one knows every published count and, for every cell, which
atoms (leaf-level counts) it sums. A hidden cell is recovered iff its atom vector lies in the
span of the published cells' atom vectors: then some combination of published counts equals
it. The engine reasons over equations between cells; the attacker reasons over atoms, so a
mistake in how the engine builds or reads its equations cannot hide itself here.

The other two also read the markers: "<5" is 1..threshold-1, a dash is at least the threshold
(a hidden 0 they are assumed to know). The interval attacker plays every published sum
against the others' bounds until nothing moves; the enumerating attacker tries every integer
assignment of the hidden cells (tiny tables only) and so also finds what several sums
together rule out.
"""

import itertools
from collections.abc import Collection, Iterable, Mapping
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from councils.suppression import Dimension, Equation, Hidden, cube, suppress, suppress_fallback

Cell = tuple[str, ...]
Vector = dict[int, Fraction]


def atom_vector(dims: list[Dimension], cell: Cell, atom_index: Mapping[Cell, int]) -> Vector:
    """Indicator of the atoms a cell counts: a total stands for all of its dimension's leaves."""
    choices = [d.leaves if node == d.total else (node,) for d, node in zip(dims, cell, strict=True)]
    return {atom_index[atom]: Fraction(1) for atom in itertools.product(*choices)}


class Span:
    """Row-echelon basis over the rationals, keyed by each row's first column."""

    def __init__(self) -> None:
        self.rows: dict[int, Vector] = {}

    def residue(self, vector: Vector) -> Vector:
        left = dict(vector)
        while left:
            first = min(left)
            if first not in self.rows:
                return left
            factor = left[first]
            for k, v in self.rows[first].items():
                new = left.get(k, Fraction(0)) - factor * v
                if new:
                    left[k] = new
                else:
                    left.pop(k, None)
        return left

    def add(self, vector: Vector) -> None:
        left = self.residue(vector)
        if left:
            first = min(left)
            self.rows[first] = {k: v / left[first] for k, v in left.items()}


def recovered(
    dims: list[Dimension], values: Iterable[Cell], hidden: Collection[Cell]
) -> list[Cell]:
    """The hidden cells the attacker can compute from everything else in ``values``."""
    atom_index = {a: i for i, a in enumerate(itertools.product(*(d.leaves for d in dims)))}
    span = Span()
    cells = list(values)
    for cell in cells:
        if cell not in hidden:
            span.add(atom_vector(dims, cell, atom_index))
    return sorted(c for c in hidden if not span.residue(atom_vector(dims, c, atom_index)))


Markers = Mapping[Cell, Hidden]
Range = tuple[int, int]
NO_LIMIT = 10**9


def marker_ranges(
    values: Mapping[Cell, int], markers: Markers, threshold: int
) -> dict[Cell, Range]:
    """What the page says about each cell before any arithmetic."""
    ranges = {cell: (n, n) for cell, n in values.items()}
    for cell, marker in markers.items():
        if marker is Hidden.SMALL:
            ranges[cell] = (1, threshold - 1)
        elif values[cell] > 0:
            ranges[cell] = (threshold, NO_LIMIT)
    return ranges


def interval_ranges(
    values: Mapping[Cell, int], equations: list[Equation], markers: Markers, threshold: int
) -> dict[Cell, Range]:
    """Each small cell's range after playing every sum against the others until nothing
    moves."""
    ranges = marker_ranges(values, markers, threshold)
    changed = True
    while changed:
        changed = False
        for eq in equations:
            parts = [ranges[p] for p in eq.parts]
            low_parts, high_parts = sum(lo for lo, _ in parts), sum(hi for _, hi in parts)
            total_lo, total_hi = ranges[eq.total]
            implied = {eq.total: (low_parts, high_parts)}
            for part, (lo, hi) in zip(eq.parts, parts, strict=True):
                implied[part] = (total_lo - (high_parts - hi), total_hi - (low_parts - lo))
            for cell, (lo, hi) in implied.items():
                old = ranges[cell]
                new = (max(old[0], lo), min(old[1], hi))
                if new != old:
                    ranges[cell], changed = new, True
    return {cell: ranges[cell] for cell, marker in markers.items() if marker is Hidden.SMALL}


def feasible_values(
    values: Mapping[Cell, int], equations: list[Equation], markers: Markers, threshold: int
) -> dict[Cell, list[int]]:
    """Each small cell's values that some integer assignment of all hidden cells allows."""
    # Above every true count: a bound the real attacker does not have, so a safe answer here
    # is safe without it.
    ceiling = max(values.values()) + threshold
    domains = {
        c: (lo, min(hi, ceiling))
        for c, (lo, hi) in marker_ranges(values, markers, threshold).items()
    }
    rows = []
    for eq in equations:
        row = {eq.total: 1}
        for part in eq.parts:
            row[part] = row.get(part, 0) - 1
        rows.append(row)
    return {
        cell: [
            v
            for v in range(1, threshold)
            if v == values[cell] or _solvable({**domains, cell: (v, v)}, rows, markers)
        ]
        for cell, marker in markers.items()
        if marker is Hidden.SMALL
    }


def _solvable(
    domains: dict[Cell, Range], rows: list[dict[Cell, int]], order: Iterable[Cell]
) -> bool:
    """Backtracking over the hidden cells, each row checked against the others' domains."""
    unknown = sorted(order, key=lambda c: (domains[c][1] - domains[c][0], c))
    fixed: dict[Cell, int] = {}

    def possible() -> bool:
        for row in rows:
            lo = hi = 0
            for cell, c in row.items():
                a, b = (fixed[cell],) * 2 if cell in fixed else domains[cell]
                lo, hi = lo + min(c * a, c * b), hi + max(c * a, c * b)
            if not lo <= 0 <= hi:
                return False
        return True

    def search(k: int) -> bool:
        if not possible():
            return False
        if k == len(unknown):
            return True
        low, high = domains[unknown[k]]
        for v in range(low, high + 1):
            fixed[unknown[k]] = v
            if search(k + 1):
                return True
        del fixed[unknown[k]]
        return False

    return search(0)


def everything_hidden(
    values: Mapping[Cell, int], markers: Markers, threshold: int, fixed: Collection[Cell] = ()
) -> dict[Cell, Hidden]:
    """The bluntest markers: every count that may still be hidden is. No result can leave a
    small cell a wider range than these do."""
    blunt = dict(markers)
    for cell, n in values.items():
        if cell not in blunt and cell not in fixed and n > 0:
            blunt[cell] = Hidden.SMALL if n < threshold else Hidden.SECONDARY
    return blunt


def assert_ranges_kept(
    values: Mapping[Cell, int],
    equations: list[Equation],
    markers: Markers,
    threshold: int,
    fixed: Collection[Cell] = (),
) -> None:
    """No small cell's interval range is narrower than with everything hidden (usually the
    whole 1..threshold-1)."""
    widest = interval_ranges(
        values, equations, everything_hidden(values, markers, threshold, fixed), threshold
    )
    got = interval_ranges(values, equations, markers, threshold)
    assert {c: r for c, r in got.items() if r != widest[c]} == {}


def names(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(n))


@st.composite
def dimensions(draw: st.DrawFn, *, index: int, total: bool | None = None) -> Dimension:
    # Four leaves more often than not: pairing rules only break in the wider tables.
    leaves = names(f"d{index}n", draw(st.sampled_from([1, 2, 3, 4, 4, 4])))
    has_total = draw(st.booleans()) if total is None else total
    return Dimension(leaves, f"d{index}T" if has_total else None)


# Mostly zeros and small counts, some large: zeros are never chosen as partners, so they are
# what forces the exact check to look beyond a cell's own row and column.
counts = st.one_of(st.just(0), st.integers(0, 4), st.integers(0, 4), st.integers(0, 12))


def atoms_for(draw: st.DrawFn, dims: list[Dimension]) -> dict[Cell, int]:
    leaf_cells = list(itertools.product(*(d.leaves for d in dims)))
    drawn = draw(st.lists(counts, min_size=len(leaf_cells), max_size=len(leaf_cells)))
    return dict(zip(leaf_cells, drawn, strict=True))


@st.composite
def cubes(draw: st.DrawFn) -> tuple[list[Dimension], dict[Cell, int], int]:
    dims = [draw(dimensions(index=i)) for i in range(draw(st.integers(2, 4)))]
    return dims, atoms_for(draw, dims), draw(st.integers(2, 6))


def assert_safe(
    dims: list[Dimension], values: Mapping[Cell, int], result: Mapping[Cell, Hidden], threshold: int
) -> None:
    assert recovered(dims, values, set(result)) == []
    assert {c for c, v in values.items() if 1 <= v < threshold} <= set(result)


def zeros_around(ones: set[tuple[int, int]]) -> dict[Cell, int]:
    return {(f"d0n{i}", f"d1n{j}"): int((i, j) in ones) for i in range(4) for j in range(4)}


FOUR_BY_FOUR = [Dimension(names("d0n", 4), "d0T"), Dimension(names("d1n", 4), "d1T")]
# Found by this test against a "two hidden cells per row and column" engine: with zeros all
# round, (d0n1, d1n1) is the only link between two hidden groups.
PAIRS_ARE_NOT_ENOUGH = zeros_around({(1, 1), (2, 0), (2, 1), (3, 2), (3, 3)})


@settings(max_examples=500, deadline=None)
@given(cubes())
@example((FOUR_BY_FOUR, PAIRS_ARE_NOT_ENOUGH, 2))
def test_no_suppressed_cell_is_recoverable_from_one_download(case):
    dims, atoms, threshold = case
    values, equations = cube(dims, atoms)

    result = suppress(values, equations, threshold=threshold)

    assert_safe(dims, values, result, threshold)
    small = {c for c, v in values.items() if 1 <= v < threshold}
    assert {c for c, h in result.items() if h is Hidden.SMALL} == small
    assert_ranges_kept(values, equations, result, threshold)


@st.composite
def yearly_cubes(draw: st.DrawFn) -> tuple[list[Dimension], dict[Cell, int], int]:
    """Like ``cubes``, with the last dimension a year over its quarters."""
    dims = [draw(dimensions(index=i)) for i in range(draw(st.integers(1, 3)))]
    dims.append(Dimension(names("Q", draw(st.integers(1, 4))), "year"))
    return dims, atoms_for(draw, dims), draw(st.integers(2, 6))


def quarters_then_year(dims, atoms, threshold, second_stage):
    """Publish each quarter on its own, then the year with the quarters' decisions fixed.

    Returns every cell one user can download and the cells hidden in either publication.
    """
    fixed: dict[Cell, Hidden | None] = {}
    hidden: set[Cell] = set()
    for quarter in dims[-1].leaves:
        sub_dims = [*dims[:-1], Dimension((quarter,))]
        sub_atoms = {c: n for c, n in atoms.items() if c[-1] == quarter}
        values, equations = cube(sub_dims, sub_atoms)
        result = suppress(values, equations, threshold=threshold)
        hidden |= set(result)
        fixed.update({cell: result.get(cell) for cell in values})
    values, equations = cube(dims, atoms)
    result = second_stage(values, equations, threshold=threshold, fixed=fixed)
    assert {c: h for c, h in result.items() if c in fixed} == {
        c: h for c, h in fixed.items() if h is not None
    }
    return values, hidden | set(result), equations, result, set(fixed)


@settings(max_examples=250, deadline=None)
@given(yearly_cubes())
def test_a_year_published_after_its_quarters_reveals_nothing_new(case):
    dims, atoms, threshold = case

    values, hidden, equations, result, fixed = quarters_then_year(dims, atoms, threshold, suppress)

    assert_safe(dims, values, dict.fromkeys(hidden, Hidden.SMALL), threshold)
    assert_ranges_kept(values, equations, result, threshold, fixed)


@settings(max_examples=120, deadline=None)
@given(yearly_cubes())
def test_hiding_everything_next_to_a_hidden_cell_is_a_safe_fallback(case):
    dims, atoms, threshold = case

    values, hidden, equations, result, fixed = quarters_then_year(
        dims, atoms, threshold, suppress_fallback
    )

    assert_safe(dims, values, dict.fromkeys(hidden, Hidden.SMALL), threshold)
    assert_ranges_kept(values, equations, result, threshold, fixed)


@st.composite
def tiny_cubes(draw: st.DrawFn) -> tuple[list[Dimension], dict[Cell, int], int]:
    """At most nine leaf cells, counts up to 12: small enough to try every assignment."""
    shapes = draw(
        st.sampled_from([(2,), (4,), (2, 2), (2, 3), (3, 3), (1, 2, 2), (2, 2, 2), (1, 2, 3)])
    )
    dims = [
        Dimension(names(f"d{i}n", n), f"d{i}T" if draw(st.booleans()) or n == 1 else None)
        for i, n in enumerate(shapes)
    ]
    return dims, atoms_for(draw, dims), draw(st.integers(3, 5))


CYCLE_OF_DASHES = (
    [Dimension(names("d0n", 3), "d0T"), Dimension(names("d1n", 3), "d1T")],
    {
        (f"d0n{i}", f"d1n{j}"): n
        for i, row in enumerate([[0, 7, 4], [0, 11, 1], [6, 0, 7]])
        for j, n in enumerate(row)
    },
    4,
)


@settings(max_examples=200, deadline=None)
@given(tiny_cubes(), st.sampled_from([suppress, suppress_fallback]))
@example(([Dimension(("s", "d"), "T")], {("s",): 1, ("d",): 5}, 5), suppress)
@example(CYCLE_OF_DASHES, suppress)
def test_no_small_cell_is_pinned_by_trying_every_assignment(case, engine):
    dims, atoms, threshold = case
    values, equations = cube(dims, atoms)

    result = engine(values, equations, threshold=threshold)

    feasible = feasible_values(values, equations, result, threshold)
    blunt = feasible_values(
        values, equations, everything_hidden(values, result, threshold), threshold
    )
    # Pinned only where even hiding every count would pin it (four "<5" under a "<5" total).
    # Not asserted: the whole 1..threshold-1. Several sums together can still rule out some
    # values (seen: 3..4 left of 1..4); only the interval attacker is held to the whole range.
    assert {c: v for c, v in feasible.items() if len(v) < 2 and len(blunt[c]) >= 2} == {}
