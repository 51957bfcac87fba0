"""The benchmark scripts keep running as the engine changes.

They import private engine modules (the optimizer, the parameter packing), so
a refactor can break them without any other test noticing. These tests run
them on tiny data; they check that every contender is timed and reported,
never how fast.
"""

import functools
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_script(name):
    # The scripts import each other, as they do when run from benchmarks/.
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench_training():
    return load_script("bench_training")


@pytest.fixture(scope="module")
def tiny_result(bench_training):
    """W1 cut to 256 rows, every contender but PyTorch, one epoch, one repeat."""
    workload = bench_training.make_w1(np.dtype(np.float32), quick=True).subset(256)
    runners = {
        name: run for name, run in bench_training.RUNNERS.items() if name != "torch"
    }
    return bench_training.bench_workload(
        workload, runners, repeats=1, target=0.0, log=lambda message: None
    )


def test_every_contender_gets_a_positive_epoch_time(tiny_result, bench_training):
    times = tiny_result["seconds_per_epoch"]
    assert set(times) == set(bench_training.CONTENDERS) - {"torch"}
    assert all(len(t) == 1 and t[0] > 0 for t in times.values())
    assert tiny_result["epochs"] == 1


def test_table_has_one_cell_per_column(tiny_result, bench_training):
    header, rule, row = bench_training.markdown_table([tiny_result]).splitlines()
    n_columns = header.count("|") - 1
    assert rule.count("|") - 1 == n_columns
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert len(cells) == n_columns
    # Only the torch time and the ratio to it are missing without PyTorch.
    assert cells.count("–") == 2


def test_table_gives_the_median_and_range_of_each_repeats_own_ratio(
    tiny_result, bench_training
):
    result = dict(tiny_result)
    times = {name: [1.0, 1.0, 1.0] for name in tiny_result["seconds_per_epoch"]}
    # Repeats whose ratios are 0.5, 0.6 and 0.9; the ratio of the medians
    # (0.9 / 1.0) is another number.
    times["skdropout"] = [1.0, 0.6, 0.9]
    times["sklearn"] = [2.0, 1.0, 1.0]
    result["seconds_per_epoch"] = times
    header, rule, row = bench_training.markdown_table([result]).splitlines()
    names = [cell.strip() for cell in header.strip("|").split("|")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    by_name = dict(zip(names, cells))
    assert by_name["per-repeat skdropout/sklearn"] == "0.6 (0.5-0.9)"
    assert by_name["skdropout/sklearn"] == "0.9"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_floor_with_adam_runs(bench_training, dtype):
    workload = bench_training.make_w1(np.dtype(dtype), quick=True).subset(128)
    seconds, model = bench_training.run_floor_adam(workload, epochs=1)
    assert seconds > 0 and model is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_floor_arrays_and_optimizer_are_in_the_workload_dtype(bench_training, dtype):
    workload = bench_training.make_w1(np.dtype(dtype), quick=True).subset(128)
    flat, flat_grad, adam, coefs, coef_grads, acts, deltas = (
        bench_training.floor_arrays(workload, optimizer=True)
    )
    arrays = [flat, flat_grad, *adam.ms, *adam.vs, *coefs, *coef_grads]
    arrays += [*acts, *deltas]
    assert {a.dtype for a in arrays} == {np.dtype(dtype)}


def test_layout_table_times_every_layout_for_both_models(bench_training):
    result = bench_training.bench_layouts(1, 64, log=lambda message: None)
    rows = result["seconds_per_fit"]
    assert [(r["layout"], r["dtype"]) for r in rows] == bench_training.LAYOUTS
    assert all(r[who][0] > 0 for r in rows for who in ("skdropout", "sklearn"))
    header, rule, *lines = bench_training.layout_table(result).splitlines()
    assert len(lines) == len(bench_training.LAYOUTS)
    for line in lines:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == header.count("|") - 1
        assert "–" not in cells
        if cells[0] == "C-ordered":
            assert cells[4] == "1"  # its own time over itself


def test_layout_inputs_hold_the_same_values_in_each_layout(bench_training):
    inputs, _ = bench_training.layout_inputs(20)
    reference = inputs["C-ordered", "float64"]
    assert reference.flags.c_contiguous
    assert np.asarray(inputs["Fortran-ordered", "float64"]).flags.f_contiguous
    view = inputs["column view", "float64"]
    assert not view.flags.c_contiguous and not view.flags.f_contiguous
    for (_layout, dtype), X in inputs.items():
        np.testing.assert_array_equal(np.asarray(X), reference.astype(dtype))


def test_small_data_table_reports_dropout_on_over_off(bench_training):
    results = bench_training.bench_small(
        1, 2, np.dtype(np.float32), log=lambda message: None
    )
    assert len(results) == 5  # three classification sets, two regression sets
    header, rule, *lines = bench_training.small_table(results).splitlines()
    for res, line in zip(results, lines):
        times = res["seconds_per_epoch"]
        assert set(times) == set(bench_training.SMALL_CONTENDERS)
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == header.count("|") - 1
        on, off = times["dropout on"][0], times["dropout off"][0]
        assert float(cells[4]) == pytest.approx(on / off, rel=0.01)


def _one_row(table):
    """The cells of a one-row markdown table, by column name."""
    header, _, line = table.splitlines()
    return dict(
        zip(
            [c.strip() for c in header.strip("|").split("|")],
            [c.strip() for c in line.strip("|").split("|")],
        )
    )


def test_small_data_table_gives_the_median_of_the_repeats_ratios(bench_training):
    times = {"dropout on": [2.0, 3.0, 9.0], "dropout off": [1.0, 2.0, 3.0]}
    times["sklearn"] = [1.0, 1.0, 1.0]
    results = [{"dataset": "toy", "epochs": 1, "seconds_per_epoch": times}]

    cells = _one_row(bench_training.small_table(results))
    assert cells["on/off"] == "1.5"  # median 3.0 over median 2.0
    assert cells["median per-repeat on/off"] == "2"  # of 2, 1.5 and 3


def test_shapes_table_gives_each_contender_over_sklearn(bench_training):
    times = {"dropout on": [2.0, 3.0, 9.0], "dropout off": [1.0, 2.0, 3.0]}
    times["sklearn"] = [1.0, 2.0, 2.0]
    results = [{"dataset": "toy", "epochs": 1, "seconds_per_epoch": times}]

    cells = _one_row(bench_training.shapes_table(results))
    assert cells["on/sklearn"] == "1.5"  # median 3.0 over median 2.0
    assert cells["per-repeat on/sklearn"] == "2 (1.5-4.5)"
    assert cells["off/sklearn"] == "1"
    assert cells["per-repeat off/sklearn"] == "1 (1-1.5)"


def test_shapes_are_the_tiny_wide_and_tall_ones_the_docs_name(bench_training):
    shapes = {name: X.shape for name, X, _ in bench_training.shape_datasets()}
    assert shapes == {
        "10x3": (10, 3),
        "20x5000": (20, 5000),
        "200x2000": (200, 2000),
        "20000x10": (20000, 10),
    }


def test_stream_table_times_partial_fit_calls_of_each_contender(bench_training):
    results = bench_training.bench_stream(
        1, 3, np.dtype(np.float64), log=lambda message: None, rows=16, n_features=4
    )
    assert [res["dataset"] for res in results] == [
        "classifier, 16x4 a call",
        "regressor, 16x4 a call",
    ]
    for res in results:
        times = res["seconds_per_epoch"]
        assert set(times) == set(bench_training.SMALL_CONTENDERS)
        assert all(len(t) == 1 and t[0] > 0 for t in times.values())
    assert len(bench_training.shapes_table(results).splitlines()) == 4


def test_memory_script_measures_a_dataframe_fit():
    bench_memory = load_script("bench_memory")
    result = bench_memory.measure("skdropout", "fit", 5000, "dataframe")
    assert result["model"] == "skdropout (DataFrame)"
    assert result["x_bytes"] == 5000 * bench_memory.N_FEATURES * 4
    assert result["peak_bytes"] >= result["after_x_bytes"] >= result["baseline_bytes"]


def test_memory_script_dataframe_holds_the_array_values():
    bench_memory = load_script("bench_memory")
    X, y = bench_memory.make_data(1000, 0)
    frame, y_frame = bench_memory.make_data(1000, 0, dataframe=True)
    np.testing.assert_array_equal(frame.to_numpy(), X)
    assert frame.to_numpy().flags.f_contiguous
    np.testing.assert_allclose(y_frame, y, rtol=1e-5, atol=1e-5)


def test_memory_script_measures_a_fit_in_a_child_process():
    bench_memory = load_script("bench_memory")
    result = bench_memory.measure("skdropout", "fit", 5000)
    assert result["model_dtype"] == "float32"
    assert result["x_bytes"] == 5000 * bench_memory.N_FEATURES * 4
    assert result["peak_bytes"] >= result["after_x_bytes"] >= result["baseline_bytes"]
    row = bench_memory.markdown_table([result]).splitlines()[-1]
    peak_over_x = float(row.strip("|").split("|")[6])
    assert peak_over_x == pytest.approx(
        result["peak_bytes"] / result["x_bytes"], abs=0.01
    )


def test_optimizer_script_times_every_numpy_contender():
    bench_optimizer = load_script("bench_optimizer")
    numpy_contenders = ["sqrt", "skdropout", "sklearn"]
    result = bench_optimizer.bench_network(
        "W1", np.dtype(np.float64), numpy_contenders, repeats=1, n_steps=1
    )
    assert result["n_parameters"] == 64 * 256 + 256 * 256 + 256 * 10 + 256 + 256 + 10
    assert set(result["ms_per_step"]) == set(numpy_contenders)
    assert all(ms > 0 for ms in result["ms_per_step"].values())
    header, rule, row = bench_optimizer.markdown_table([result]).splitlines()
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert len(cells) == header.count("|") - 1
    # Without PyTorch only its two times and the ratio to it are missing.
    assert cells.count("–") == 3


@pytest.mark.parametrize(
    ("script", "argv"),
    [
        ("bench_training", ["--workloads", ","]),
        ("bench_training", ["--dtype", ","]),
        ("bench_training", ["--tables", ","]),
        ("bench_training", ["--tables", "layouts"]),
        ("bench_optimizer", ["--networks", ","]),
        ("bench_optimizer", ["--networks", "W4"]),
        ("bench_optimizer", ["--steps", "0"]),
    ],
)
def test_scripts_refuse_selections_that_would_time_nothing(script, argv, capsys):
    with pytest.raises(SystemExit):
        load_script(script).parse_args(argv)
    assert "error:" in capsys.readouterr().err


@pytest.fixture(scope="module")
def bench_uncertainty():
    pytest.importorskip(
        "mapie", reason="the uncertainty benchmark calibrates with MAPIE"
    )
    module = load_script("bench_uncertainty")
    module.NETWORK = {**module.NETWORK, "hidden_layer_sizes": (8,), "max_iter": 3}
    return module


@pytest.mark.parametrize("problem", ["strong", "diabetes"])
def test_uncertainty_benchmark_measures_every_column(bench_uncertainty, problem):
    row = bench_uncertainty.measure(problem, 0, quick=True)
    summary = bench_uncertainty.summarise([row, row])

    for key in ("raw_cov", "cal_cov", "default_raw_cov"):
        assert 0 <= row[key] <= 1
    assert row["width"] > 0 and row["abs_width"] > 0 and row["fit_ratio"] > 0
    assert ("oracle_width" in row) == (problem == "strong")
    header, rule, line = bench_uncertainty.markdown_table({problem: summary}).split(
        "\n"
    )
    assert header.count("|") == rule.count("|") == line.count("|")


def test_uncertainty_benchmark_compares_classifier_sets(bench_uncertainty):
    sets = bench_uncertainty.classifier_sets(0)

    for coverage, size in sets.values():
        assert 0 <= coverage <= 1 and 0 <= size <= 10


def test_uncertainty_benchmark_refuses_zero_seeds(bench_uncertainty, capsys):
    with pytest.raises(SystemExit):
        bench_uncertainty.main(["--seeds", "0"])
    assert "error:" in capsys.readouterr().err


def test_defaults_battery_scores_both_contenders_on_every_set(capsys):
    battery = load_script("battery_defaults")
    args = battery.parse_args(["--quick"])
    summary = battery.run_battery(args.names, [0], max_iter=5, n_jobs=1)
    assert set(summary) == {
        (name, contender) for name in args.names for contender in battery.CONTENDERS
    }
    assert all(row["n_iter"] <= 5 and row["seconds"] > 0 for row in summary.values())
    lines = battery.rst_table(summary, args.names).splitlines()
    assert len(lines) == 4 + len(args.names)
    cells = lines[3].split()
    mine, theirs, difference = float(cells[2]), float(cells[3]), float(cells[-2])
    assert difference == pytest.approx(mine - theirs, abs=2e-3)


def test_defaults_battery_refuses_an_unknown_data_set(capsys):
    with pytest.raises(SystemExit):
        load_script("battery_defaults").parse_args(["--datasets", "nope"])
    assert "error:" in capsys.readouterr().err


def test_defaults_battery_medium_runs_the_larger_sets_by_the_same_protocol():
    battery = load_script("battery_defaults")
    args = battery.parse_args(["--medium"])
    assert args.names == list(battery.MEDIUM_DATASETS)
    assert not set(args.names) & set(battery.DATASETS)
    name = "moons_5000"
    summary = battery.run_battery([name], [0], max_iter=2, n_jobs=1)
    line = battery.rst_table(summary, [name]).splitlines()[3]
    assert line.split()[:2] == [name, "accuracy"]


def test_defaults_battery_refuses_quick_and_medium_together(capsys):
    with pytest.raises(SystemExit):
        load_script("battery_defaults").parse_args(["--quick", "--medium"])
    assert "exclude each other" in capsys.readouterr().err


def test_defaults_battery_first_contact_fits_the_unscaled_sets_at_the_defaults(
    monkeypatch,
):
    battery = load_script("battery_defaults")
    args = battery.parse_args(["--first-contact"])
    assert args.names == battery.FIRST_CONTACT_DATASETS
    fitted = []

    def record(model, X, y):
        fitted.append((model.get_params()["max_iter"], X))
        return original(model, X, y)

    for cls in (battery.DropoutMLPClassifier, battery.MLPClassifier):
        original = cls.fit
        monkeypatch.setattr(cls, "fit", lambda m, X, y, _o=original: record(m, X, y))
    wine = battery.load_wine(return_X_y=True)[0]
    battery.run_battery(["wine"], [0], n_jobs=1, first_contact=True)
    assert [max_iter for max_iter, _ in fitted] == [200, 200]
    # Unscaled: the training rows are rows of the data as they came.
    for _, X in fitted:
        assert len(X) == len(wine) - math.ceil(0.25 * len(wine))
        assert {tuple(row) for row in X} <= {tuple(row) for row in wine}


def test_stopping_rule_script_times_both_variants():
    bench = load_script("bench_stopping_rule")
    X, y, epochs = bench.workloads(quick=True)["moons_100"]
    assert all(r > 0 for r in bench.ratios(X, y, epochs, repeats=1))
    # The real measure is put back after the timings.
    assert bench.epoch_loop.dropout_free_loss is bench.JUDGED


def test_stopping_rule_script_times_a_full_pass_against_an_epoch():
    bench = load_script("bench_stopping_rule")
    X, y, epochs = bench.workloads(quick=True)["moons_100"]
    shares = bench.full_pass_shares(X, y, epochs, repeats=2)
    assert len(shares) == 2 and all(share > 0 for share in shares)


def test_a_run_prints_the_docs_main_tables_unless_asked_for_more(bench_training):
    assert bench_training.parse_args([]).tables == ["workloads", "layout", "small"]
    asked = bench_training.parse_args(["--tables", "shapes,stream"]).tables
    assert asked == ["shapes", "stream"]


def test_regression_rates_script_scores_every_model_and_seed(capsys):
    script = load_script("regression_rates")
    tiny = functools.partial(script.small_models, max_iter=3)
    scores = script.run(script.friedman1(60, 10), tiny, [0, 1], n_jobs=1)
    assert set(scores) == set(tiny(0))
    assert all(len(values) == 2 for values in scores.values())
    script.print_table("tiny", scores, [0, 1])
    rows = capsys.readouterr().out.strip().splitlines()[3:]
    assert len(rows) == len(scores)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert float(cells[-1]) == pytest.approx(
            np.mean([float(c) for c in cells[1:-1]]), abs=2e-3
        )


def test_regression_rates_other_sets_make_regression_data():
    script = load_script("regression_rates")
    for make_data in script.OTHER_SETS.values():
        X, y = make_data(0)
        assert X.shape[0] == y.shape[0] >= 100 and y.ndim == 1


def test_mask_benchmark_times_every_kind_of_rate_both_ways():
    script = load_script("bench_masks")
    times = script.measure(rows=8, units=5, dtype=np.dtype(np.float32), repeats=2)
    assert set(times) == set(script.RATES)
    for ways in times.values():
        assert all(len(ways[way]) == 2 and min(ways[way]) > 0 for way in ways)
    kinds = [
        line.split("|")[2].strip()
        for line in script.markdown_table(times).splitlines()[2:]
    ]
    assert kinds == ["1 bit", "uint8", "uint16"]


def test_mask_benchmark_samplers_drop_the_same_share_of_units():
    script = load_script("bench_masks")
    dtype = np.dtype(np.float64)
    for make in (script.engine_sampler, script.uniform_sampler):
        mask = make(0.25, 400, 50, dtype)()
        assert set(np.unique(mask)) == {0.0, 1 / 0.75}
        assert np.mean(mask == 0) == pytest.approx(0.25, abs=0.02)


def test_saturation_sweep_reports_runs_of_saturated_epochs():
    script = load_script("saturation_sweep")
    assert script.longest_run([True, False, True, True, False]) == 2
    # Raw wine with a step of 3 saturates sklearn's MLP within a few epochs.
    rows = script.sweep(["wine"], [0], steps=(3.0,), solvers=("adam",), max_iter=5)
    assert rows and all(1 <= row["longest_run"] <= row["epochs"] <= 5 for row in rows)
    table = script.markdown_table(rows).splitlines()
    assert len(table) == 2 + len(rows)
    assert script.summary(rows).startswith(f"{len(rows)} fits reached the limit")


def test_defaults_battery_swaps_the_stopping_rule_only_during_a_fit():
    battery = load_script("battery_defaults")
    seen = []
    battery.MEASURES["spy"] = lambda probe: seen.append(probe) or None
    score, _, n_iter = battery.run_one("moons", "skdropout", 0, max_iter=3, rule="spy")
    assert seen and n_iter == 3 and 0 <= score <= 1
    assert battery.epoch_loop.dropout_free_loss is battery.DROPOUT_FREE


def test_defaults_battery_ema_rule_smooths_the_epoch_losses():
    battery = load_script("battery_defaults")

    class Probe:
        class _estimator:
            loss_curve_ = [1.0, 0.0, 0.0]

    assert battery._ema_measure(Probe())() == pytest.approx(0.81)


def test_defaults_battery_passes_a_dropout_rate_to_skdropout_only(monkeypatch):
    battery = load_script("battery_defaults")
    calls = []
    monkeypatch.setattr(battery, "run_battery", lambda *a, **k: calls.append(k) or {})
    monkeypatch.setattr(battery, "rst_table", lambda summary, names: "")
    battery.main(["--datasets", "moons", "--dropout-rate", "0.2", "--rule", "ema"])
    assert calls[0]["params"] == {"dropout_rate": 0.2}
    assert calls[0]["rule"] == "ema"
