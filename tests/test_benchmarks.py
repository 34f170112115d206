"""The reproduction of the paper's experiment runs end to end on data CI always has."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import benchmark_data  # noqa: E402


def test_paper_table_quick_on_digits(tmp_path):
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "paper_table.py"), "--quick", "--datasets", "digits",
         "digits-2d", "--json", str(tmp_path / "raw.json")],
        capture_output=True, text=True, timeout=1200, check=True,  # a guard against hangs
    )
    tables = result.stdout.split("### ")[1:]
    assert [table.split(":")[0] for table in tables] == ["digits", "digits-2d"]
    sequence_rows = [line for line in tables[0].splitlines() if line.startswith("| ")]
    assert sequence_rows[0] == (
        "| order | CNN | S4 | local attention | mean QE | neighbour abs corr | fit time (s) |"
    )
    orders = [row.split(" | ")[0][2:] for row in sequence_rows[1:]]
    assert orders == [
        "original", "random", "IGTD", "entanglement (paper)", "entanglement + orientation"
    ]
    for row in sequence_rows[1:]:
        accuracies = [float(cell.split(" +- ")[0]) for cell in row.split(" | ")[1:4]]
        assert all(0 <= accuracy <= 100 for accuracy in accuracies)
    # Orientation never changes the canonical blocks, so never the QE; it raises neighbours'
    # correlation. Random columns are the most entangled and least correlated of all.
    qe = {order: float(row.split(" | ")[4]) for order, row in zip(orders, sequence_rows[1:])}
    corr = {order: float(row.split(" | ")[5]) for order, row in zip(orders, sequence_rows[1:])}
    assert qe["entanglement + orientation"] == qe["entanglement (paper)"]
    assert corr["entanglement + orientation"] >= corr["entanglement (paper)"]
    assert qe["random"] == max(qe.values()) and corr["random"] == min(corr.values())
    assert (tmp_path / "raw.json").exists()


def test_missing_data_is_named_with_the_command_that_fetches_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="DNA.rda is missing: run `make data`"):
        benchmark_data.load_dna(data_home=tmp_path)
    with pytest.raises(FileNotFoundError, match="whl is missing: run `make data`"):
        benchmark_data.load_mixed_shapes(data_home=tmp_path)


def test_digits_split_is_stratified_and_seeded():
    a, b = benchmark_data.load_digits_split(seed=0), benchmark_data.load_digits_split(seed=0)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert a.X_train.shape == (1437, 64) and a.X_test.shape == (360, 64)
    assert 0 <= a.X_train.min() and a.X_train.max() <= 1
    assert not np.array_equal(a.X_train, benchmark_data.load_digits_split(seed=1).X_train)


@pytest.mark.skipif(
    not (benchmark_data.DATA_HOME / benchmark_data.DNA_FILE).exists(), reason="`make data` was not run"
)
def test_dna_has_the_published_shape():
    data = benchmark_data.load_dna()
    X = np.vstack([data.X_train, data.X_test])
    assert X.shape == (3186, 180) and set(np.unique(X)) == {0.0, 1.0}
    assert sorted(set(data.y_train)) == ["ei", "ie", "n"]
    # Every sequence position is one-hot over 3 indicators (all zero where the base is ambiguous).
    assert np.all(X.reshape(-1, 60, 3).sum(axis=2) <= 1)


def test_swaps_curve_quick_on_digits(tmp_path):
    image = tmp_path / "curve.png"
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "swaps_curve.py"), "--quick", "--dataset", "digits",
         "--swaps", "0", "8", "256", "--image", str(image)],
        capture_output=True, text=True, timeout=1200, check=True,  # a guard against hangs
    )
    rows = [line.split(" | ") for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [row[0] for row in rows[1:]] == ["| 0", "| 8", "| 256"]
    qe = [float(row[1].split(" +- ")[0]) for row in rows[1:]]
    assert qe[0] < qe[2]  # breaking the natural order entangles the pixels
    assert image.stat().st_size > 10_000


def test_swaps_leave_a_permutation():
    from swaps_curve import swapped_order

    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(swapped_order(50, 0, rng), np.arange(50))
    order = swapped_order(50, 3, rng)
    assert sorted(order) == list(range(50)) and 1 <= np.sum(order != np.arange(50)) <= 6
