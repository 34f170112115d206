import numpy as np
import pytest

from sklearn_qe import canonical_tree, max_canonical_level


@pytest.mark.parametrize("n_features", [2, 3, 5, 7, 8, 13, 64, 100, 180, 617])
def test_1d_blocks_are_balanced_nested_contiguous(n_features):
    tree = canonical_tree(n_features)
    assert tree.n_levels == max_canonical_level(n_features) == int(np.log2(n_features))
    for level in range(tree.n_levels + 1):
        blocks = tree.blocks[level]
        assert len(blocks) == 2**level
        # In order, contiguous, covering every feature once.
        np.testing.assert_array_equal(np.concatenate(blocks), np.arange(n_features))
        sizes = np.array([len(b) for b in blocks])
        assert sizes.min() >= 1 and sizes.max() - sizes.min() <= 1
        if level < tree.n_levels:
            for j, block in enumerate(blocks):
                children = [tree.blocks[level + 1][c] for c in tree.children(level, j)]
                np.testing.assert_array_equal(np.concatenate(children), block)
                assert len(children[0]) >= len(children[1])


@pytest.mark.parametrize("shape", [(2, 2), (4, 4), (8, 8), (3, 5), (7, 6), (16, 9)])
def test_2d_blocks_are_nested_rectangles(shape):
    height, width = shape
    n_features = height * width
    tree = canonical_tree(n_features, shape=shape)
    assert tree.arity == 4 and tree.n_levels == int(np.log2(min(shape)))
    for level in range(tree.n_levels + 1):
        blocks = tree.blocks[level]
        assert len(blocks) == 4**level
        np.testing.assert_array_equal(np.sort(np.concatenate(blocks)), np.arange(n_features))
        for block in blocks:
            rows, cols = np.divmod(block, width)
            # A full rectangle: every (row, col) in the bounding box is present.
            box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
            assert box == len(block) >= 1
        if level < tree.n_levels:
            for j, block in enumerate(blocks):
                children = [tree.blocks[level + 1][c] for c in tree.children(level, j)]
                np.testing.assert_array_equal(np.sort(np.concatenate(children)), block)


def test_2d_quadrant_order():
    tree = canonical_tree(16, shape=(4, 4))
    quadrants = [b.tolist() for b in tree.blocks[1]]
    assert quadrants == [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]


def test_distinct_partitions():
    tree = canonical_tree(16, max_level=3)
    # The two halves of level 1 are one partition; deeper blocks each are one.
    assert [len(tree.partitions(level)) for level in (1, 2, 3)] == [1, 4, 8]
    tree = canonical_tree(16, shape=(4, 4))
    assert [len(tree.partitions(level)) for level in (1, 2)] == [4, 16]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(n_features=1),
            r"'n_features' parameter of canonical_tree must be an int in the range \[2,",
        ),
        (dict(n_features=12, shape=(3, 5)), "describes 15 features"),
        (dict(n_features=8, shape=(1, 8)), "shape must be a pair .* of ints of at least 2"),
        (dict(n_features=16, max_level=5), "levels 1 to 4"),
        (dict(n_features=64, shape=(8, 8), max_level=4), "levels 1 to 3"),
        (
            dict(n_features=16, max_level=0),
            r"'max_level' parameter of canonical_tree must be an int in the range \[1,",
        ),
    ],
)
def test_bad_trees(kwargs, message):
    with pytest.raises(ValueError, match=message):
        canonical_tree(**kwargs)


@pytest.mark.parametrize(
    "args, error, message",
    [
        (
            (-5,),
            ValueError,
            r"'n_features' parameter of max_canonical_level must be an int in the range \[1,",
        ),
        (
            (0,),
            ValueError,
            r"'n_features' parameter of max_canonical_level must be an int in the range \[1,",
        ),
        ((1.5,), TypeError, "'n_features' parameter of max_canonical_level must be an int"),
        ((True,), TypeError, "'n_features' parameter of max_canonical_level must be an int"),
        ((64, (8, 4)), ValueError, "describes 32 features"),
        ((64, (8,)), ValueError, "shape must be a pair"),
    ],
)
def test_max_canonical_level_refuses_what_is_not_a_count(args, error, message):
    """-5, 1.5 and True used to give level 0."""
    with pytest.raises(error, match=message):
        max_canonical_level(*args)


def test_max_canonical_level_is_exact_for_huge_counts():
    assert max_canonical_level(1) == 0
    assert max_canonical_level(2**60 - 1) == 59 and max_canonical_level(2**60) == 60
