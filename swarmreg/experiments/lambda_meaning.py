"""lambda_meaning — the headline: the same nominal λ in five training schemes.

Iris, a 4-7-3 tanh/softmax network, a log grid of nominal λ.  PSO uses λ in the
error; back-prop (online, η = 0.01) uses it in each L2 rule.  Plotted against the
nominal λ the final Σw² curves lie orders of magnitude apart; plotted against the
λ_E that ``convert_lambda`` gives they fall onto one curve.  The collapse score is
the spread (standard deviation across schemes) of log10 Σw² at equal nominal λ
divided by that at equal λ_E: above 1 means the conversion explains the spread.
"""

import numpy as np

import swarmreg as sr

from . import _common

NAME = "lambda_meaning"
SCHEMES = ("pso", "objective", "textbook_batch", "textbook_dataset", "decay")
LR = 0.01

MODES = {
    "quick": dict(lams=[1e-4, 1e-2, 1.0], seeds=1, epochs=15, max_iter=60, swarm_size=10),
    "default": dict(lams=list(np.logspace(-5, 0, 11)), seeds=5, epochs=200, max_iter=1000,
                    swarm_size=30),
    "full": dict(lams=list(np.logspace(-5, 0, 11)), seeds=10, epochs=300, max_iter=1000,
                 swarm_size=30),
}


def cells(mode):
    m = MODES[mode]
    return [
        (dict(scheme=s, lam=float(lam), epochs=m["epochs"], max_iter=m["max_iter"],
              swarm_size=m["swarm_size"]), seed)
        for s in SCHEMES for lam in m["lams"] for seed in range(m["seeds"])
    ]


def run_cell(config, seed):
    X_tr, X_te, y_tr, y_te, (d, K) = _common.load("iris", seed)
    net = sr.Network([d, 7, K])
    res = _common.train(config["scheme"], net, X_tr, y_tr, config["lam"], seed, lr=LR, batch_size=1,
                        epochs=config["epochs"], swarm_size=config["swarm_size"],
                        max_iter=config["max_iter"])
    return _common.metrics(net, res, X_tr, X_te, y_tr, y_te), _common.timing(res)


def collapse_score(rows, schemes=SCHEMES):
    """Spread of log10 Σw² across schemes at equal nominal λ, at equal λ_E, and their ratio.

    At equal λ_E the per-scheme curves (mean over seeds, linear in log-log) are
    interpolated on 50 points spanning all λ_E; each point counts where at least
    two schemes' ranges cover it.
    """
    curves = {}
    for (scheme, lam), value in _common.group_mean(rows, ("scheme", "lam"), "log_sum_sq").items():
        if scheme in schemes:
            curves.setdefault(scheme, []).append((lam, value))
    lam_E = _common.group_mean(rows, ("scheme", "lam"), "lam_E")
    nominal = {}
    for scheme, pts in curves.items():
        for lam, v in pts:
            nominal.setdefault(lam, []).append(v)
    spread_nominal = float(np.mean([np.std(v) for v in nominal.values() if len(v) > 1]))
    interp = {}
    for scheme, pts in curves.items():
        pts.sort()
        x = np.log10([lam_E[(scheme, lam)] for lam, _ in pts])
        interp[scheme] = (x, np.array([v for _, v in pts]))
    lo = min(x.min() for x, _ in interp.values())
    hi = max(x.max() for x, _ in interp.values())
    spreads = []
    for g in np.linspace(lo, hi, 50):
        vals = [np.interp(g, x, v) for x, v in interp.values() if x.min() <= g <= x.max()]
        if len(vals) > 1:
            spreads.append(np.std(vals))
    spread_E = float(np.mean(spreads))
    return spread_nominal, spread_E, spread_nominal / spread_E


def report(records, out_dir, mode):
    rows = _common.flatten(records)
    for row in rows:
        row["log_sum_sq"] = float(np.log10(max(row["sum_sq_weights"], 1e-300)))
    spread_nominal, spread_E, score = collapse_score(rows)
    bp_nominal, bp_E, bp_score = collapse_score(rows, SCHEMES[1:])

    plt = _common.pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharey="row")
    sum_sq = _common.group_stats(rows, ("scheme", "lam"), "sum_sq_weights")
    test_err = _common.group_stats(rows, ("scheme", "lam"), lambda row: 1 - row["test_accuracy"])
    lam_E = _common.group_mean(rows, ("scheme", "lam"), "lam_E")
    note = _common.spread_note(sum_sq)
    for scheme in SCHEMES:
        lams = sorted(lam for s, lam in sum_sq if s == scheme)
        xs = {"nominal": lams, "E": [lam_E[(scheme, lam)] for lam in lams]}
        style = dict(lw=2.5 if scheme == "pso" else 1.5,
                     label="PSO (λ in the error)" if scheme == "pso" else f"back-prop {scheme}")
        for col, key in enumerate(("nominal", "E")):
            _common.plot_band(axes[0, col], xs[key], [sum_sq[(scheme, lam)] for lam in lams], **style)
            _common.plot_band(axes[1, col], xs[key], [test_err[(scheme, lam)] for lam in lams],
                              **style)
    for ax in axes.flat:
        ax.set_xscale("log")
    axes[0, 0].set_yscale("log")
    for col, label in enumerate(("nominal λ (what was typed)", "λ_E from convert_lambda")):
        axes[0, col].set_title(f"final Σw² against {label}")
        axes[1, col].set_title(f"test error rate against {label}")
        axes[1, col].set_xlabel(label)
    axes[0, 0].set_ylabel(f"Σw² (weights only)\n{note}")
    axes[1, 0].set_ylabel(f"Iris test misclassification rate\n{note}")
    axes[0, 1].legend(fontsize=8)
    fig.suptitle(f"Iris 4-7-3: the same λ in five schemes (collapse score {score:.2f}); "
                 f"each point: {note}")
    fig.tight_layout()

    factor = {row["scheme"]: row["lam_E"] / row["lam"] for row in rows}
    table = _common.markdown_table(["scheme", "λ_E per unit of nominal λ"],
                                   [[s, f"{factor[s]:.4g}"] for s in SCHEMES])
    markdown = (
        "## lambda_meaning\n\n"
        f"Iris 4-7-3, nominal λ from {min(r['lam'] for r in rows):g} to {max(r['lam'] for r in rows):g}, "
        f"mode `{mode}`; back-prop online with η = {LR}.\n\n"
        f"![lambda_meaning]({NAME}.png)\n\n"
        "Top: the final Σw² against the λ that was typed (left) and against the λ_E it amounts "
        f"to (right); bottom: test error; each point: {note}.  Each scheme reads the same "
        "number differently: by the factor in the table, which `convert_lambda` computes.\n\n"
        f"{table}\n\n"
        f"Collapse score: spread of log10 Σw² across schemes {spread_nominal:.3f} decades at equal "
        f"nominal λ, {spread_E:.3f} at equal λ_E; ratio **{score:.2f}**.  Among the four back-prop "
        f"rules alone: {bp_nominal:.3f} against {bp_E:.3f} decades, ratio **{bp_score:.1f}** — their "
        "curves coincide because after conversion they take the same steps; PSO, a different "
        "optimizer, settles elsewhere when λ_E is too small to matter.\n"
    )
    paths = _common.write_outputs(out_dir, NAME, rows, fig, markdown)
    return dict(paths=paths, spread_nominal=spread_nominal, spread_E=spread_E, collapse_score=score,
                backprop_collapse_score=bp_score)
