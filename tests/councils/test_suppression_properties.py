"""The attacker's view of councils.suppression, written independently of the engine.

The attacker knows every published count and, for every cell, which atoms (leaf-level
counts) it sums. A hidden cell is recovered iff its atom vector lies in the span of the
published cells' atom vectors: then some combination of published counts equals it. The
engine reasons over equations between cells; the attacker reasons over atoms, so a mistake
in how the engine builds or reads its equations cannot hide itself here.
"""

import itertools
from collections.abc import Collection, Iterable, Mapping
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from councils.suppression import Dimension, Hidden, cube, suppress, suppress_fallback

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
    return values, hidden | set(result)


@settings(max_examples=250, deadline=None)
@given(yearly_cubes())
def test_a_year_published_after_its_quarters_reveals_nothing_new(case):
    dims, atoms, threshold = case

    values, hidden = quarters_then_year(dims, atoms, threshold, suppress)

    assert_safe(dims, values, dict.fromkeys(hidden, Hidden.SMALL), threshold)


@settings(max_examples=120, deadline=None)
@given(yearly_cubes())
def test_hiding_everything_next_to_a_hidden_cell_is_a_safe_fallback(case):
    dims, atoms, threshold = case

    values, hidden = quarters_then_year(dims, atoms, threshold, suppress_fallback)

    assert_safe(dims, values, dict.fromkeys(hidden, Hidden.SMALL), threshold)
