"""online_n — "n" in the textbook rule: one item (McCaffrey's reading) or all N (Nielsen's).

Online back-prop (one item per update) on Iris with ``w ← (1 − ηλ/n)·w − η·g``, n = 1
(``textbook_batch``) or n = N = 120 (``textbook_dataset``).  The same typed λ
amounts to λ_E = λ/2 in the first and λ/(2N) in the second: the Σw² curves against
the nominal λ are shifted by a factor N.  The shift is measured from the curves,
and ``textbook_dataset`` trained at N·λ is checked to reproduce ``textbook_batch``
at λ step for step.
"""

import numpy as np

import swarmreg as sr

from . import _common

NAME = "online_n"
LR = 0.01

MODES = {
    "quick": dict(lams=list(np.logspace(-3, 1, 5)), seeds=1, epochs=15),
    "default": dict(lams=list(np.logspace(-3, 1.5, 19)), seeds=3, epochs=100),
    "full": dict(lams=list(np.logspace(-3, 1.5, 37)), seeds=10, epochs=300),
}


def n_train():
    return len(sr.datasets.iris(test_size=0.2, seed=0)[2])


def cells(mode):
    m = MODES[mode]
    out = []
    for lam in m["lams"]:
        for seed in range(m["seeds"]):
            out.append((dict(rule="textbook_batch", lam=float(lam), epochs=m["epochs"]), seed))
            out.append((dict(rule="textbook_dataset", lam=float(lam), epochs=m["epochs"]), seed))
            out.append((dict(rule="textbook_dataset", lam=float(lam) * n_train(), epochs=m["epochs"],
                             matched_to=float(lam)), seed))
    return out


def run_cell(config, seed):
    X_tr, X_te, y_tr, y_te, (d, K) = _common.load("iris", seed)
    net = sr.Network([d, 7, K])
    res = _common.train(config["rule"], net, X_tr, y_tr, config["lam"], seed, lr=LR, batch_size=1,
                        epochs=config["epochs"])
    out = _common.metrics(net, res, X_tr, X_te, y_tr, y_te)
    out["theta"] = res.theta.tolist()
    return out, _common.timing(res)


def measured_shift(lams, w_batch, w_dataset):
    """The factor c minimizing the gap between log Σw²_batch(λ) and log Σw²_dataset(c·λ)."""
    x = np.log10(lams)
    a, b = np.log10(w_batch), np.log10(w_dataset)
    best = (np.inf, 0.0)
    for s in np.arange(0.0, x[-1] - x[0], 0.005):
        grid = np.linspace(x[0], x[-1] - s, 60)
        gap = np.mean((np.interp(grid, x, a) - np.interp(grid + s, x, b)) ** 2)
        best = min(best, (gap, s))
    return 10 ** best[1]


def report(records, out_dir, mode):
    rows = _common.flatten(records)
    for row in rows:
        row["matched"] = "matched_to" in row
    N = n_train()
    w2 = _common.group_mean(rows, ("rule", "matched", "lam"), "sum_sq_weights")
    lams = sorted(lam for rule, matched, lam in w2 if rule == "textbook_batch")
    w_batch = [w2[("textbook_batch", False, lam)] for lam in lams]
    w_dataset = [w2[("textbook_dataset", False, lam)] for lam in lams]
    shift = measured_shift(lams, w_batch, w_dataset)
    batch_theta = {(r["config"]["lam"], r["seed"]): np.array(r["metrics"]["theta"])
                   for r in records if r["config"]["rule"] == "textbook_batch"}
    gaps = [np.abs(np.array(r["metrics"]["theta"]) - batch_theta[(r["config"]["matched_to"], r["seed"])]).max()
            for r in records if "matched_to" in r["config"]]
    max_gap = float(max(gaps)) if gaps else float("nan")

    plt = _common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    lam_E = _common.group_mean(rows, ("rule", "matched", "lam"), "lam_E")
    w2_stats = _common.group_stats(rows, ("rule", "matched", "lam"), "sum_sq_weights")
    note = _common.spread_note(w2_stats)
    for rule, label in (("textbook_batch", "n = 1 (online, McCaffrey)"),
                        ("textbook_dataset", f"n = N = {N} (Nielsen)")):
        ws = [w2_stats[(rule, False, lam)] for lam in lams]
        _common.plot_band(axes[0], lams, ws, label=label)
        _common.plot_band(axes[1], [lam_E[(rule, False, lam)] for lam in lams], ws, label=label)
    axes[0].set(xlabel="nominal λ", ylabel=f"final Σw², {note}", xscale="log", yscale="log",
                title=f"same λ, curves {shift:.0f}× apart (N = {N})")
    axes[1].set(xlabel="λ_E = λ / (2n)", xscale="log", title="against λ_E they coincide")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    markdown = (
        "## online_n\n\n"
        f"Online back-prop on Iris 4-7-3 (η = {LR}), textbook rule `w ← (1 − ηλ/n)·w − η·g` with n = 1 "
        f"or n = N = {N}; mode `{mode}`.\n\n"
        f"![online_n]({NAME}.png)\n\n"
        f"Each point: {note}.  "
        f"Measured horizontal shift between the two Σw² curves: a factor **{shift:.1f}** (N = {N}).  "
        f"Trained at N·λ, the n = N rule reproduces the n = 1 rule at λ to within {max_gap:.1e} in every "
        "parameter: the two readings are the same rule with λ scaled by N.\n"
    )
    paths = _common.write_outputs(out_dir, NAME, rows, fig, markdown)
    return dict(paths=paths, shift=shift, n_train=N, max_matched_gap=max_gap)
