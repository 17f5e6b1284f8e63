"""Every experiment end to end in --quick mode, with its outputs checked for content."""

import csv

import pytest

from swarmreg.experiments import EXPERIMENTS, run_experiment

pytest.importorskip("matplotlib")


def run(name, tmp_path):
    summary = run_experiment(name, mode="quick", out=tmp_path, workers=1, progress=False,
                             log=lambda *_: None)
    paths = summary["paths"]
    rows = list(csv.DictReader(paths["csv"].open()))
    assert rows, "empty CSV"
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = paths["md"].read_text()
    assert text.startswith(f"## {name}") and f"({name}.png)" in text
    return summary, rows, text


def test_lambda_meaning_collapses_after_conversion(tmp_path):
    summary, rows, text = run("lambda_meaning", tmp_path)
    assert {r["scheme"] for r in rows} == {"pso", "objective", "textbook_batch", "textbook_dataset", "decay"}
    assert summary["spread_E"] < summary["spread_nominal"]
    assert summary["collapse_score"] > 1.2
    # The converted back-prop rules take the same steps, so their curves coincide up to
    # the interpolation between the three λ of the quick grid.
    assert summary["backprop_collapse_score"] > 3
    assert "Collapse score" in text


def test_overfitting_best_lambda_is_positive(tmp_path):
    summary, rows, _ = run("overfitting", tmp_path)
    assert all(lam > 0 for lam in summary["best_lambda"].values())
    at_zero = [r for r in rows if float(r["lam"]) == 0.0]
    assert all(float(r["train_accuracy"]) > float(r["test_accuracy"]) for r in at_zero)  # over-fits


def test_bias_penalty_hurts_when_biases_are_penalized(tmp_path):
    summary, _, _ = run("bias_penalty", tmp_path)
    assert all(ratio > 2 for ratio in summary["worst_ratio"].values())


def test_online_n_shifts_lambda_by_the_training_set_size(tmp_path):
    summary, _, text = run("online_n", tmp_path)
    assert summary["shift"] == pytest.approx(summary["n_train"], rel=0.2)
    assert summary["max_matched_gap"] < 1e-12
    assert "N = 120" in text


def test_pso_vs_backprop_reports_paired_tests(tmp_path):
    summary, rows, text = run("pso_vs_backprop", tmp_path)
    assert set(summary["datasets"]) >= {"iris", "teacher"}
    assert all(0.0 <= p <= 1.0 for p in summary["pvalues"].values())
    assert "Wilcoxon" in text and "| iris | test accuracy |" in text


def test_ridge_check_distances_are_small(tmp_path):
    summary, rows, _ = run("ridge_check", tmp_path)
    assert summary["worst_distance"] < 1e-6
    assert {r["scheme"] for r in rows} == {"pso", "lbfgs", "objective", "textbook_batch",
                                            "textbook_dataset", "decay"}


def test_adam_vs_adamw_coincide_for_sgd_not_for_adam(tmp_path):
    summary, rows, text = run("adam_vs_adamw", tmp_path)
    assert {r["optimizer"] for r in rows} == {"sgd", "adam"}
    assert summary["sgd_max_distance"] < 1e-10  # decoupled = L2 in the loss after conversion
    assert summary["adam_min_distance"] > 1e-3  # no conversion makes them equal
    assert "Same trajectory for SGD, not for Adam" in text and "Best λ_E per learning rate" in text


def test_every_experiment_is_tested():
    tested = {name[len("test_"):].split("_")[0] for name in globals() if name.startswith("test_")}
    assert {name.split("_")[0] for name in EXPERIMENTS} <= tested


def test_rerun_reuses_the_cells(tmp_path):
    run("ridge_check", tmp_path)
    lines = []
    run_experiment("ridge_check", mode="quick", out=tmp_path, workers=1, progress=False, log=lines.append)
    assert "0 run" in lines[-1]


def test_each_experiment_has_a_script(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for name in EXPERIMENTS:
        assert (root / "experiments" / f"{name}.py").exists(), name
    proc = subprocess.run([sys.executable, str(root / "experiments" / "ridge_check.py"), "--quick",
                           "--out", str(tmp_path), "--workers", "1", "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "ridge_check" / "ridge_check.md").exists()


def test_plotted_points_are_seed_means_with_a_min_max_band():
    import numpy as np

    from swarmreg.experiments import _common

    plt = _common.pyplot()  # the Agg backend

    rows = [dict(lam=lam, seed=s, v=v) for lam, vs in ((0.1, [1.0, 2.0, 6.0]), (1.0, [4.0, 5.0, 9.0]))
            for s, v in enumerate(vs)]
    stats = _common.group_stats(rows, ("lam",), "v")
    assert stats[(0.1,)] == _common.SeedStats(mean=3.0, low=1.0, high=6.0, n=3)
    assert _common.group_stats(rows, ("lam",), lambda r: -r["v"])[(1.0,)].low == -9.0
    assert _common.group_mean(rows, ("lam",), "v") == {(0.1,): 3.0, (1.0,): 6.0}
    assert _common.spread_note(stats) == "mean of 3 seeds, band = min–max"
    assert _common.spread_note(_common.group_stats(rows[:1], ("lam",), "v")) == "1 seed"
    fig, ax = plt.subplots()
    line = _common.plot_band(ax, [0.1, 1.0], [stats[(0.1,)], stats[(1.0,)]])
    np.testing.assert_array_equal(line.get_ydata(), [3.0, 6.0])
    band = ax.collections[-1].get_paths()[0].vertices[:, 1]
    assert band.min() == 1.0 and band.max() == 9.0
    plt.close(fig)


def test_lambda_at_scale_converted_sgd_rules_coincide_and_large_lambda_flattens(tmp_path):
    pytest.importorskip("sklearn")  # digits comes with scikit-learn
    summary, rows, text = run("lambda_at_scale", tmp_path)
    assert {r["scheme"] for r in rows} >= {"sgd objective", "sgd textbook_batch", "sgd decay",
                                           "adam objective"}
    assert any(r["scheme"].startswith("swarm ") for r in rows)
    # After conversion the SGD rules take the same steps: the same Σw² up to rounding.
    assert summary["sgd_sum_sq_spread"] < 1e-8
    # Each back-prop rule typed the λ that convert_lambda gives for the cell's λ_E.
    for r in rows:
        assert float(r["lam_E"]) == pytest.approx(float(r["lam"]), rel=1e-12)
    by = {(r["scheme"], float(r["lam"])): r for r in rows}
    lams = sorted({float(r["lam"]) for r in rows})
    for scheme in ("sgd objective", "adam objective"):  # the largest λ_E flattens the network
        assert float(by[(scheme, lams[-1])]["sum_sq_weights"]) < float(by[(scheme, lams[0])]["sum_sq_weights"])
    assert "grows with the number of weights" in text and "1184 weights" in text
