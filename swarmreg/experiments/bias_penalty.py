"""bias_penalty — why the biases stay out of the penalty.

Regression targets from a 4-6-1 teacher network plus an offset of 10: the network
needs a large output bias.  Each trainer minimizes E with the biases left out of
the penalty and with them in it (``include_biases``), over
a grid of λ_E.  With the biases penalized the fit pays λ·b² for the offset, so the
predictions are pulled towards 0 and the test error grows with λ; left out, the
offset costs nothing.
"""

import numpy as np

import swarmreg as sr

from . import _common

NAME = "bias_penalty"
SCHEMES = ("pso", "lbfgs", "objective")
OFFSET, N_TRAIN, N_TEST = 10.0, 100, 1000

MODES = {
    "quick": dict(lams=[1e-2, 1.0], seeds=1, epochs=30, max_iter=200),
    "default": dict(lams=[1e-3, 1e-2, 1e-1, 1.0], seeds=3, epochs=200, max_iter=1000),
    "full": dict(lams=list(np.logspace(-4, 0, 9)), seeds=10, epochs=300, max_iter=1000),
}


def cells(mode):
    m = MODES[mode]
    return [(dict(scheme=s, lam=float(lam), include_biases=b, epochs=m["epochs"],
                  max_iter=m["max_iter"]), seed)
            for s in SCHEMES for lam in m["lams"] for b in (False, True) for seed in range(m["seeds"])]


def data(seed):
    X, t = sr.datasets.make_teacher(N_TRAIN + N_TEST, [4, 6, 1], task="regression", noise=0.1,
                                    seed=2000 + seed)
    t = t + OFFSET
    return X[:N_TRAIN], X[N_TRAIN:], t[:N_TRAIN], t[N_TRAIN:]


def run_cell(config, seed):
    X_tr, X_te, t_tr, t_te = data(seed)
    net = sr.Network([4, 8, 1], output="identity")
    res = _common.train(config["scheme"], net, X_tr, t_tr, config["lam"], seed, lr=0.002,
                        batch_size=1, epochs=config["epochs"], max_iter=config["max_iter"],
                        include_biases=config["include_biases"])
    out = _common.metrics(net, res, X_tr, X_te, t_tr, t_te)
    out["output_bias"] = float(res.theta[-1])
    out["mean_prediction"] = float(np.mean(net.predict(res.theta, X_te)))
    out["mean_target"] = float(np.mean(t_te))
    return out, _common.timing(res)


def report(records, out_dir, mode):
    rows = _common.flatten(records)
    test_stats = _common.group_stats(rows, ("scheme", "include_biases", "lam"), "test_mse")
    pred_stats = _common.group_stats(rows, ("scheme", "include_biases", "lam"), "mean_prediction")
    test = {k: v.mean for k, v in test_stats.items()}
    pred = {k: v.mean for k, v in pred_stats.items()}
    note = _common.spread_note(test_stats)
    lams = sorted({r["lam"] for r in rows})
    plt = _common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    table = []
    for s in SCHEMES:
        name = {"pso": "PSO", "lbfgs": "L-BFGS", "objective": "back-prop"}[s]
        for b, ls in ((False, "-"), (True, "--")):
            label = f"{name}, biases {'penalized' if b else 'free'}"
            line = _common.plot_band(axes[0], lams, [test_stats[(s, b, lam)] for lam in lams],
                                     "o" + ls, label=label)
            _common.plot_band(axes[1], lams, [pred_stats[(s, b, lam)] for lam in lams], "o" + ls,
                              color=line.get_color(), label=label)
        table += [[name, f"{lam:g}", f"{test[(s, False, lam)]:.4g}", f"{test[(s, True, lam)]:.4g}",
                   f"{test[(s, True, lam)] / test[(s, False, lam)]:.3g}",
                   f"{pred[(s, True, lam)]:.3g}"] for lam in lams]
    axes[0].set(xlabel="λ_E", ylabel=f"test MSE, {note}", title="test error", xscale="log",
                yscale="log")
    axes[1].axhline(OFFSET, color="gray", lw=0.8)
    axes[1].set(xlabel="λ_E", ylabel=f"mean prediction on the test set, {note}", xscale="log",
                title=f"the offset the data need (targets average ≈ {OFFSET:g})")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    ratio = {s: max(test[(s, True, lam)] / test[(s, False, lam)] for lam in lams) for s in SCHEMES}
    markdown = (
        "## bias_penalty\n\n"
        f"Targets from a 4-6-1 teacher network plus {OFFSET:g}; {N_TRAIN} training and {N_TEST} test "
        f"items, a 4-8-1 network with identity output; mode `{mode}`.\n\n"
        f"![bias_penalty]({NAME}.png)\n\n"
        f"Each point: {note}.  Penalizing the biases charges λ·b² for the offset, so the fit "
        "trades it away: the mean prediction falls below the targets' mean and the test error "
        "grows with λ.\n\n"
        + _common.markdown_table(["trainer", "λ_E", "test MSE, biases free", "test MSE, biases penalized",
                                  "ratio", "mean prediction, penalized"], table)
        + "\n"
    )
    paths = _common.write_outputs(out_dir, NAME, rows, fig, markdown)
    return dict(paths=paths, worst_ratio=ratio)
