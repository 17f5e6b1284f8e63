"""overfitting — L2 regularization against over-fitting, for PSO and back-prop.

A small, noisy training set (60 items labelled by a 5-8-3 teacher network, 30% of
the labels replaced at random), a clean test set of 2000 items, and a 5-15-3
network large enough to fit the noise.  Train and test error and Σw² against λ_E,
the best λ_E of each trainer (lowest mean test error), and the weight histograms
at λ = 0 and at the best λ.

PSO searches the box ±2 here: with the default ±10 and ~100 parameters its random
start has Σw² in the thousands and 1500 iterations do not bring it near the small
weights a large λ asks for.
"""

import swarmreg as sr

from . import _common

NAME = "overfitting"
SCHEMES = ("pso", "objective")
N_TRAIN, NOISE, HIDDEN = 60, 0.3, 15
PSO_BOUNDS = (-2.0, 2.0)

MODES = {
    "quick": dict(lams=[0.0, 1e-2, 3e-2], seeds=1, epochs=150, max_iter=300),
    "default": dict(lams=[0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1], seeds=3, epochs=300,
                    max_iter=1500),
    "full": dict(lams=[0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1], seeds=10, epochs=300,
                 max_iter=1500),
}


def cells(mode):
    m = MODES[mode]
    return [(dict(scheme=s, lam=float(lam), epochs=m["epochs"], max_iter=m["max_iter"]), seed)
            for s in SCHEMES for lam in m["lams"] for seed in range(m["seeds"])]


def run_cell(config, seed):
    X_tr, X_te, y_tr, y_te, (d, K) = _common.load("teacher", seed, n_train=N_TRAIN, noise=NOISE)
    net = sr.Network([d, HIDDEN, K])
    extra = dict(bounds=PSO_BOUNDS) if config["scheme"] == "pso" else {}
    res = _common.train(config["scheme"], net, X_tr, y_tr, config["lam"], seed, lr=0.01,
                        batch_size=1, epochs=config["epochs"], max_iter=config["max_iter"], **extra)
    out = _common.metrics(net, res, X_tr, X_te, y_tr, y_te)
    out["weights"] = res.theta[net.weight_mask].tolist()
    return out, _common.timing(res)


def best_lambdas(rows):
    """Per scheme: the λ with the highest mean test accuracy."""
    test = _common.group_mean(rows, ("scheme", "lam"), "test_accuracy")
    best = {}
    for s in SCHEMES:
        lams = sorted(lam for t, lam in test if t == s)
        best[s] = max(lams, key=lambda lam: test[(s, lam)])  # the smallest λ among ties
    return best


def report(records, out_dir, mode):
    rows = _common.flatten(records)
    best = best_lambdas(rows)
    plt = _common.pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    lams = sorted({r["lam"] for r in rows})
    positive = [lam for lam in lams if lam > 0]
    zero_at = positive[0] / 10 if positive else 1e-5  # where λ = 0 is drawn on the log axis
    xs = [lam if lam > 0 else zero_at for lam in lams]
    summary = []
    train = _common.group_stats(rows, ("scheme", "lam"), lambda row: 1 - row["train_accuracy"])
    test = _common.group_stats(rows, ("scheme", "lam"), lambda row: 1 - row["test_accuracy"])
    w2 = _common.group_stats(rows, ("scheme", "lam"), "sum_sq_weights")
    note = _common.spread_note(test)
    for s in SCHEMES:
        label = "PSO" if s == "pso" else "back-prop"
        line = _common.plot_band(axes[0], xs, [test[(s, lam)] for lam in lams], label=f"{label} test")
        _common.plot_band(axes[0], xs, [train[(s, lam)] for lam in lams], "o--",
                          color=line.get_color(), label=f"{label} train")
        axes[0].axvline(best[s] if best[s] > 0 else zero_at, color=line.get_color(), ls=":")
        _common.plot_band(axes[1], xs, [w2[(s, lam)] for lam in lams], color=line.get_color(),
                          label=label)
        summary.append([label, f"{best[s]:g}", f"{test[(s, 0.0)].mean:.3f}" if (s, 0.0) in test else "–",
                        f"{test[(s, best[s])].mean:.3f}", f"{train[(s, best[s])].mean:.3f}"])
        for lam, ls in ((0.0, "--"), (best[s], "-")):
            w = [r["metrics"]["weights"] for r in records
                 if r["config"]["scheme"] == s and r["config"]["lam"] == lam and r["seed"] == 0]
            if w:
                axes[2].hist(w[0], bins=40, histtype="step", ls=ls, color=line.get_color(),
                             label=f"{label}, λ = {lam:g}")
    axes[0].set(xlabel=f"λ_E (λ = 0 drawn at {zero_at:g})", ylabel=f"misclassification rate, {note}",
                title="train (dashed) and test error; dotted: best λ", xscale="log")
    axes[1].set(xlabel=f"λ_E (λ = 0 drawn at {zero_at:g})", ylabel=f"Σw², {note}",
                title="weight magnitude", xscale="log", yscale="log")
    axes[2].set(xlabel="weight value", ylabel="count", title="weights at λ = 0 and at the best λ (seed 0)")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    markdown = (
        "## overfitting\n\n"
        f"{N_TRAIN} training items from a 5-8-3 teacher with {NOISE:.0%} of the labels replaced at "
        f"random, 2000 clean test items, a 5-{HIDDEN}-3 network; PSO in the box ±{PSO_BOUNDS[1]:g}, "
        f"back-prop `objective` online with η = 0.01; mode `{mode}`.\n\n"
        f"![overfitting]({NAME}.png)\n\n"
        f"Error rates and Σw²: {note}; the histograms are of seed 0.\n\n"
        + _common.markdown_table(["trainer", "best λ_E", "test error at λ = 0", "test error at best λ",
                                  "train error at best λ"], summary)
        + "\n"
    )
    paths = _common.write_outputs(out_dir, NAME, rows, fig, markdown)
    return dict(paths=paths, best_lambda=best)
