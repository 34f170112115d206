"""The reproduction of the paper's experiment runs end to end on data CI always has."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_qe import canonical_tree

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import benchmark_data  # noqa: E402


def run_benchmark(script, *args, timeout=1200):
    """The printed output of ``benchmarks/<script>`` run with ``args``."""
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,  # a guard against hangs
        check=True,
    ).stdout


def test_paper_table_quick_on_digits(tmp_path):
    stdout = run_benchmark(
        "paper_table.py",
        "--quick",
        "--datasets",
        "digits",
        "digits-2d",
        "--json",
        str(tmp_path / "raw.json"),
    )
    tables = stdout.split("### ")[1:]
    assert [table.split(":")[0] for table in tables] == ["digits", "digits-2d"]
    sequence_rows = [line for line in tables[0].splitlines() if line.startswith("| ")]
    assert sequence_rows[0] == (
        "| order | CNN | S4 | local attention | CNN gap closed | mean QE | neighbour abs corr "
        "| fit time (s) |"
    )
    orders = [row.split(" | ")[0][2:] for row in sequence_rows[1:]]
    assert orders == [
        "original",
        "random",
        "IGTD",
        "entanglement (paper)",
        "cuts + orientation",
        "single-linkage OLO (scipy)",
        "seriation (default)",
    ]
    rows = {order: row.split(" | ") for order, row in zip(orders, sequence_rows[1:])}
    for cells in rows.values():
        assert all(0 <= float(cell.split(" +- ")[0]) <= 100 for cell in cells[1:4])
    # "gap closed": (order - random) / (original - random) of the CNN's mean accuracy, "-"
    # where two epochs left no gap to close; the printed means are rounded to 0.1.
    cnn = {order: float(cells[1].split(" +- ")[0]) for order, cells in rows.items()}
    lost = cnn["original"] - cnn["random"]
    for order, cells in rows.items():
        if cells[4] == "-":
            assert lost <= 0.1
        else:
            closed = float(cells[4].rstrip("%")) / 100
            assert closed * lost == pytest.approx(cnn[order] - cnn["random"], abs=0.1 + 0.01 * lost)
    # Orientation never changes the canonical blocks, so never the QE; it raises neighbours'
    # correlation. Random columns are the most entangled and least correlated of all;
    # seriation's neighbours correlate at least as much as scipy's seriation's.
    qe = {order: float(cells[5]) for order, cells in rows.items()}
    corr = {order: float(cells[6]) for order, cells in rows.items()}
    assert qe["cuts + orientation"] == qe["entanglement (paper)"]
    assert corr["cuts + orientation"] >= corr["entanglement (paper)"]
    assert corr["seriation (default)"] >= corr["single-linkage OLO (scipy)"]
    assert qe["random"] == max(qe.values()) and corr["random"] == min(corr.values())
    assert (tmp_path / "raw.json").exists()


def test_probe_orders_keep_or_break_what_they_should():
    from paper_table import exchanged_blocks_order, swapped_order

    from sklearn_qe import canonical_tree

    rng = np.random.default_rng(0)
    for n_features, shape in ((180, None), (64, (8, 8)), (35, (5, 7))):
        order = exchanged_blocks_order(n_features, shape, rng)
        assert sorted(order) == list(range(n_features))
        assert not np.array_equal(order, np.arange(n_features))
        tree = canonical_tree(n_features, shape=shape)
        for level in tree.blocks:  # every canonical block keeps its features
            assert sorted(sorted(order[b].tolist()) for b in level) == sorted(
                sorted(b.tolist()) for b in level
            )
    assert sorted(swapped_order(50, 16, rng)) == list(range(50))


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
    not (benchmark_data.DATA_HOME / benchmark_data.DNA_FILE).exists(),
    reason="`make data` was not run",
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
    stdout = run_benchmark(
        "swaps_curve.py",
        "--quick",
        "--dataset",
        "digits",
        "--swaps",
        "0",
        "8",
        "256",
        "--image",
        str(image),
    )
    rows = [line.split(" | ") for line in stdout.splitlines() if line.startswith("| ")]
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


@pytest.mark.parametrize("n_features, distance", [(8, 2), (8, 3), (9, 1)])
def test_pair_parity_has_the_stated_entanglement(n_features, distance):
    from sklearn_qe import EntanglementMeter, canonical_tree
    from sklearn_qe._testing import explicit_tensor_entanglement

    X, y, pairs = benchmark_data.make_pair_parity(n_features, distance)
    assert X.shape == (2**n_features, n_features) and len(np.unique(X, axis=0)) == 2**n_features
    assert all(j - i == distance for i, j in pairs)
    ones = X[:, [i for i, _ in pairs]] * X[:, [j for _, j in pairs]]
    np.testing.assert_array_equal(y, (-1) ** ones.sum(axis=1))
    meter = EntanglementMeter(theta=0.5, max_samples=None, baseline=False).fit(X, y)
    tree = canonical_tree(n_features)
    for level, qe, shifted_qe in zip(
        meter.levels_, meter.partition_entanglement_, meter.partition_shifted_entanglement_
    ):
        exact = [benchmark_data.pair_parity_entanglement(b, pairs) for b in tree.partitions(level)]
        np.testing.assert_allclose(qe, exact, atol=1e-9)
        if level < tree.n_levels:  # the deepest level has no finer blocks to shift by
            windows = [
                np.concatenate([tree.blocks[level + 1][i] for i in window])
                for window in tree.shifted_partitions(level)
            ]
            shifted = [benchmark_data.pair_parity_entanglement(w, pairs) for w in windows]
            np.testing.assert_allclose(shifted_qe, shifted, atol=1e-9)
        assert meter.level_widths_[level - 1] == 2 ** round(max(exact) / np.log(2))
    # The formula against the explicit 2**N tensor, independently of the meter.
    block = [0, 1, n_features - 1]
    assert explicit_tensor_entanglement(X, y, block, theta=0.5) == pytest.approx(
        benchmark_data.pair_parity_entanglement(block, pairs), abs=1e-9
    )


def test_channel_schedule_quick(tmp_path):
    from channel_schedule import pick

    image = tmp_path / "schedule.png"
    stdout = run_benchmark(
        "channel_schedule.py", "--quick", "--size", "8", "--train-rule", "--image", str(image)
    )
    rows = [line.split() for line in stdout.splitlines()]
    trained = {
        tuple(row[:2] + row[3:4]): row for row in rows if row[3:4] in (["wide-base"], ["wide-tip"])
    }
    assert list(trained) == [
        (task, network, name)
        for task in ("local", "global")
        for network in ("pointwise", "tensor", "residual")
        for name in ("wide-base", "wide-tip")
    ]
    assert all(0 <= float(row[-5]) <= 100 for row in trained.values())
    # Levine et al.'s two schedules have exactly the same parameter count.
    for task in ("local", "global"):
        base, tip = (trained[(task, "pointwise", name)][-6] for name in ("wide-base", "wide-tip"))
        assert base == tip
    verdicts = [row for row in rows if len(row) > 7 and row[4] == "+-"]
    assert len(verdicts) == 6  # one per task and network: one budget
    for _, network, _, difference, _, error, winner, rule_pick, *rule in verdicts:
        difference, error = float(difference), float(error)
        if abs(difference) <= 2 * error:
            assert winner == "none"
        else:
            assert winner == ("wide-base" if difference > 0 else "wide-tip")
        widths = [int(width.strip("[],")) for width in rule]
        assert rule_pick == pick(network, widths)
    schedules = {tuple(row[:2] + row[3:4]): row for row in rows if row[3:4] in (["rule"], ["even"])}
    rule_rows = [row for row in rows if len(row) == 15 and row[7] == row[12] == "+-"]
    assert len(rule_rows) == 6
    for task, network, _, rule, better, *versus in rule_rows:
        tests = {
            name: float(row[-5])
            for (t, n, name), row in {**trained, **schedules}.items()
            if (t, n) == (task, network)
        }
        assert float(rule) == pytest.approx(tests["rule"], abs=0.051)
        fixed = {name: tests[name] for name in ("wide-base", "wide-tip")}
        assert better == max(fixed, key=fixed.get) or fixed["wide-base"] == fixed["wide-tip"]
        for other, (its, difference, _, error, verdict) in zip(
            (better, "even"), (versus[:5], versus[5:])
        ):
            assert float(its) == pytest.approx(tests[other], abs=0.051)
            assert float(difference) == pytest.approx(float(rule) - float(its), abs=0.11)
            if abs(float(difference)) <= 2 * float(error):
                assert verdict == "matches"
            else:
                assert verdict == ("better" if float(difference) > 0 else "worse")
    assert image.stat().st_size > 10_000


def test_width_sweep_quick_on_digits(tmp_path):
    image = tmp_path / "sweep.png"
    stdout = run_benchmark(
        "width_sweep.py", "--quick", "--datasets", "digits", "--widths", 1, 2, "--image", image
    )
    rows = [line.split(" | ") for line in stdout.splitlines() if line.startswith("| ")]
    assert [row[0] for row in rows[1:]] == ["| 1", "| 2"]
    (_, train_1, test_1, *_), (_, train_2, test_2, *_) = rows[1:]
    # Width 1 carries no channel: a constant, at most the largest class's share of the test
    # split (37 of 360). Width 2 carries one linear function of the pixels from the start.
    assert float(test_1) <= 100 * 37 / 360 + 0.05
    assert float(test_2) > 20 and float(train_2) > 20
    assert "required_width_ = 4" in stdout and image.stat().st_size > 10_000


def test_tensor_network_benchmark_quick_on_digits():
    from tensor_network import ABLATION, MODELS

    def run(*args):
        return run_benchmark("tensor_network.py", "--quick", *args, timeout=600)

    rows = [
        line
        for line in run("--datasets", "digits", "--seeds", "1").splitlines()
        if line.startswith("| ")
    ]
    assert rows[0] == "| dataset | samples x features | " + " | ".join(MODELS) + " |"
    cells = rows[1].split(" | ")
    assert cells[:2] == ["| digits", "1257 x 64"]  # the 70/30 split
    # Logistic regression does not depend on the quick setting: 97.2% on this split.
    assert float(re.search(r"\*\*([\d.]+)\*\*", cells[2]).group(1)) > 95
    ablation = run("--ablation", "--ablation-datasets", "digits", "--seeds", "1")
    rows = ablation.splitlines()[2 : 2 + len(ABLATION)]
    assert [line.split(" | ")[0][2:] for line in rows] == list(ABLATION)


def test_bench_reorder_quick():
    """The speed, quality and dask tables: every row fitted, seriation as good as the
    natural order on the walk (its neighbours are the walk's) and better than the row-major
    order on the field (a 2-D field read row by row breaks at every row's end)."""
    stdout = run_benchmark("bench_reorder.py", "--quick", "--dask", 600, timeout=600)
    speed, quality, dask = stdout.strip().split("\n\n")
    (walk,) = [line for line in speed.splitlines() if line.startswith("| 300 |")]
    seriation, cuts, oriented, natural = map(float, walk.split(" | ")[-1].rstrip(" |").split(" / "))
    assert seriation >= natural - 1e-3 and oriented >= cuts
    rows = {line.split(" | ")[0][2:]: line for line in quality.splitlines()[2:]}
    assert set(rows) == {"field", "blocks"}
    field, field_natural = map(float, rows["field"].split(" | ")[-1].rstrip(" |").split(" / "))
    assert field > field_natural
    (dask_row,) = dask.splitlines()[2:]
    assert dask_row.startswith("| 600 | 500 |") and 0 < float(dask_row.split(" | ")[-1][:-2]) <= 1


def test_bench_meter_default_fit_counts_what_the_meter_measures():
    stdout = run_benchmark("bench_meter.py", "--default-fit", "300")
    row = stdout.strip().splitlines()[-1].strip("|").split("|")
    n_features, n_samples, n_levels, n_partitions, full_rank = (int(v) for v in row[:5])
    tree = canonical_tree(300)
    canonical = sum(len(tree.partitions(level)) for level in range(1, tree.n_levels + 1))
    shifted = sum(len(tree.shifted_partitions(level)) for level in range(1, tree.n_levels + 1))
    # The canonical partitions twice (the data's order and the random baseline's).
    assert (n_features, n_levels, n_partitions) == (300, tree.n_levels, 2 * canonical + shifted)
    # M = 300: blocks of 9 features or more (2**9 >= 300) need the M x M form: the canonical
    # ones of levels 1 to 5 (twice) and the shifted ones of levels 1 to 5.
    assert n_samples == 300 and full_rank == 2 * (1 + 4 + 8 + 16 + 32) + (1 + 3 + 7 + 15 + 31)
    assert float(row[5]) > 0 and float(row[6]) > 0
