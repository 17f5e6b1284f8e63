"""adam_vs_adamw — L2 in the loss against decoupled weight decay, with SGD and with Adam.

The teacher data set (5 inputs, 3 classes, 200 noisy training items, 2000 clean test
items), a 5-10-3 tanh/softmax network, mini-batches of 20.  Each cell trains twice
from the same start and in the same item order: with λ_E in the loss (``rule="objective"``)
and with decoupled decay at the λ that ``convert_lambda`` gives for plain SGD
(``rule="decoupled"``, λ = 2·λ_E: ``w ← w − ηλ·w`` outside the step, as PyTorch's
``AdamW`` and Keras 3's ``weight_decay`` do).  With SGD the two runs must take the same
steps; with Adam no λ makes them equivalent (Loshchilov & Hutter, arXiv 1711.05101), and
the grid over learning rates shows how the best λ moves with η in each case (their
Figure 2).
"""

import numpy as np

import swarmreg as sr

from . import _common

NAME = "adam_vs_adamw"
OPTIMIZERS = ("sgd", "adam")
RULES = ("objective", "decoupled")
BATCH = 20
N_TRAIN, NOISE = 200, 0.2

# Per optimizer: SGD's grid stops at λ_E = 0.1 (beyond, 2ηλ_E ≥ 1 at the larger η and the
# step is unstable, so rounding differences between the two rules grow without bound);
# Adam's decoupled decay needs larger λ to matter.
MODES = {
    "quick": dict(lrs=dict(sgd=[0.1, 0.3], adam=[0.003, 0.01]),
                  lams=dict(sgd=[1e-4, 1e-3, 1e-2], adam=[1e-4, 1e-3, 1e-2]), seeds=1, epochs=20),
    "default": dict(lrs=dict(sgd=[0.03, 0.1, 0.3, 1.0], adam=[0.001, 0.003, 0.01, 0.03]),
                    lams=dict(sgd=list(np.logspace(-5, -1, 9)), adam=list(np.logspace(-5, 0, 11))),
                    seeds=3, epochs=150),
    "full": dict(lrs=dict(sgd=[0.03, 0.1, 0.3, 1.0], adam=[0.001, 0.003, 0.01, 0.03]),
                 lams=dict(sgd=list(np.logspace(-5, -1, 13)), adam=list(np.logspace(-5, 0, 16))),
                 seeds=8, epochs=300),
}


def cells(mode):
    m = MODES[mode]
    return [
        (dict(optimizer=opt, lr=float(lr), lam_E=float(lam), epochs=m["epochs"]), seed)
        for opt in OPTIMIZERS for lr in m["lrs"][opt] for lam in m["lams"][opt]
        for seed in range(m["seeds"])
    ]


def decoupled_lambda(lam_E):
    """The decoupled λ that plain SGD needs for λ_E (the same number is used with Adam)."""
    return sr.convert_lambda(lam_E, "objective", "decoupled")


def run_cell(config, seed):
    X_tr, X_te, y_tr, y_te, (d, K) = _common.load("teacher", seed, n_train=N_TRAIN, noise=NOISE)
    net = sr.Network([d, 10, K])
    theta0 = net.initial_theta(seed)
    out, thetas = {}, {}
    for rule in RULES:
        lam = config["lam_E"] if rule == "objective" else decoupled_lambda(config["lam_E"])
        res = sr.train_backprop(net, X_tr, y_tr, lam=lam, rule=rule, optimizer=config["optimizer"],
                                lr=config["lr"], batch_size=BATCH, epochs=config["epochs"],
                                theta0=theta0, seed=seed)
        thetas[rule] = res.theta
        out[f"{rule}_test_error"] = float(1 - np.mean(net.predict(res.theta, X_te) == y_te))
        out[f"{rule}_sum_sq"] = res.sum_sq_weights
        out[f"{rule}_train_mse"] = res.mse
        out[f"{rule}_stop"] = res.stop_reason
    out["distance"] = float(np.abs(thetas["objective"] - thetas["decoupled"]).max())
    return out


#: A learning rate at which the best λ beats the smallest λ of the grid by less than this
#: (in mean test error) is one where regularization hardly matters: no meaningful best λ.
FLAT = 0.005


def best_lambdas(rows):
    """``{(optimizer, rule, lr): (λ_E with the lowest mean test error, that error, gain)}``.

    ``gain`` is how much lower that error is than at the smallest λ of the grid.
    """
    best, first = {}, {}
    for rule in RULES:
        means = _common.group_mean(rows, ("optimizer", "lr", "lam_E"), f"{rule}_test_error")
        for (opt, lr, lam), err in sorted(means.items()):  # λ ascending: ties keep the smaller λ
            key = (opt, rule, lr)
            first.setdefault(key, err)
            if key not in best or err < best[key][1]:
                best[key] = (lam, err)
    return {k: (lam, err, first[k] - err) for k, (lam, err) in best.items()}


def shift_per_decade(best, opt, rule):
    """Least-squares slope of log10 best λ_E against log10 η over the learning rates where
    λ matters (gain ≥ ``FLAT``): 0 means the best λ ignores η; NaN with fewer than two."""
    pts = sorted((lr, lam) for (o, r, lr), (lam, _, sp) in best.items()
                 if o == opt and r == rule and sp >= FLAT)
    x, y = np.log10([p[0] for p in pts]), np.log10([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0]) if len(pts) > 1 else float("nan")


def report(records, out_dir, mode):
    rows = _common.flatten(records)
    best = best_lambdas(rows)
    n_seeds = len({r["seed"] for r in rows})
    plt = _common.pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5))
    dist = _common.group_mean(rows, ("optimizer", "lr", "lam_E"), "distance")
    errors = {rule: _common.group_mean(rows, ("optimizer", "lr", "lam_E"), f"{rule}_test_error")
              for rule in RULES}
    vmin = min(min(e.values()) for e in errors.values())
    vmax = min(max(max(e.values()) for e in errors.values()), vmin + 0.1)  # the range that matters
    for i, opt in enumerate(OPTIMIZERS):
        lrs = sorted({r["lr"] for r in rows if r["optimizer"] == opt})
        lams = sorted({r["lam_E"] for r in rows if r["optimizer"] == opt})
        for j, rule in enumerate(RULES):
            grid = np.array([[errors[rule][(opt, lr, lam)] for lam in lams] for lr in lrs])
            ax = axes[i, j]
            im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax)
            ax.plot([lams.index(best[(opt, rule, lr)][0]) for lr in lrs], range(len(lrs)), "w*",
                    ms=12, label="best λ per η")
            what = "L2 in the loss (λ_E)" if rule == "objective" else "decoupled, λ = 2·λ_E"
            ax.set_title(f"{opt.upper()}: {what}", fontsize=10)
            fig.colorbar(im, ax=ax, label=f"test error rate, mean of {n_seeds} seeds", extend="max")
        logd = np.array([[np.log10(max(dist[(opt, lr, lam)], 1e-17)) for lam in lams] for lr in lrs])
        im = axes[i, 2].imshow(logd, origin="lower", aspect="auto", cmap="magma", vmin=-16, vmax=1)
        axes[i, 2].set_title(f"{opt.upper()}: log10 max|θ_L2 − θ_decoupled|, mean of {n_seeds} seeds",
                             fontsize=10)
        fig.colorbar(im, ax=axes[i, 2])
        for ax in axes[i]:
            ax.set_yticks(range(len(lrs)), [f"{lr:g}" for lr in lrs])
            ax.set_xticks(range(len(lams)), [f"{lam:.0e}" for lam in lams], rotation=60, fontsize=7)
            ax.set_ylabel("learning rate η")
            ax.set_xlabel("λ_E")
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.suptitle("Teacher 5-10-3, batches of 20: L2 in the loss vs decoupled decay after conversion")
    fig.tight_layout()

    sgd = [r["distance"] for r in rows if r["optimizer"] == "sgd"]
    adam = [r["distance"] for r in rows if r["optimizer"] == "adam"]
    slopes = {(opt, rule): shift_per_decade(best, opt, rule) for opt in OPTIMIZERS for rule in RULES}
    table = _common.markdown_table(
        ["optimizer", "η", "best λ_E, L2 in the loss (test error)",
         "best λ_E, decoupled λ = 2λ_E (test error)"],
        [[opt, f"{lr:g}"] + [f"{best[(opt, rule, lr)][0]:.2g} ({best[(opt, rule, lr)][1]:.3f}"
                             f"{'' if best[(opt, rule, lr)][2] >= FLAT else ', flat'})"
                             for rule in RULES]
         for opt in OPTIMIZERS for lr in sorted({r["lr"] for r in rows if r["optimizer"] == opt})])
    slope_table = _common.markdown_table(
        ["optimizer", "L2 in the loss", "decoupled"],
        [[opt] + [f"{round(slopes[(opt, rule)], 2) + 0.0:+.2f}" for rule in RULES]
         for opt in OPTIMIZERS])
    markdown = (
        f"## {NAME}\n\n"
        f"Teacher data ({N_TRAIN} training items, label noise {NOISE}, 2000 clean test items), "
        f"5-10-3 tanh/softmax, MSE, batches of {BATCH}, {rows[0]['epochs']} epochs, {n_seeds} "
        f"seed(s), mode `{mode}`.  Every cell trains twice from the same θ0 and item order: "
        "λ_E in the loss (`rule=\"objective\"`) and decoupled decay `w ← w − ηλ·w` with the "
        "λ = 2·λ_E that `convert_lambda(λ_E, \"objective\", \"decoupled\")` gives for plain SGD "
        "(with Adam that number is what a user converting for SGD would type; "
        "`lambda_equivalence(\"decoupled\", \"objective\", optimizer=\"adam\")` is *none*).\n\n"
        f"![{NAME}]({NAME}.png)\n\n"
        "**Same trajectory for SGD, not for Adam.**  Largest distance between the final θ of "
        f"the two runs over all SGD cells: {max(sgd):.2g} (rounding); over the Adam cells: "
        f"median {np.median(adam):.2g}, smallest {min(adam):.2g}.\n\n"
        "**Best λ_E per learning rate** (lowest mean test error over seeds; ties go to the "
        f"smaller λ; *flat*: it beats the smallest λ of the grid by less than {FLAT}, λ hardly "
        "matters at that η):\n\n"
        f"{table}\n\n"
        "Slope of log10 best λ_E against log10 η over the learning rates that are not flat "
        "(0: the good λ does not depend on the learning rate; −1: it scales as 1/η; the grid "
        "steps by half a decade, so one step between two η a decade apart is ±0.5):\n\n"
        f"{slope_table}\n\n"
        "What this measures and how it differs from the paper: Loshchilov & Hutter's Figure 2 "
        "(CIFAR-10, ResNet, cosine schedule, long training) decays by the schedule multiplier "
        "only, not by the learning rate, and finds the good λ tied to the learning rate for L2 "
        "(a diagonal valley) but not for decoupled decay.  Here the decay is PyTorch's and "
        "Keras 3's, multiplied by η, the budget is "
        f"{rows[0]['epochs'] * N_TRAIN // BATCH} updates of a 5-10-3 network and the grid steps "
        "by half a decade: the slopes above are what this scale shows.  With SGD the two "
        "columns are the same runs, so whatever the dependence on η, it is the same for both; "
        "with Adam the two rules differ in their best λ (in the units SGD's conversion gives), "
        "in their best error and in how that error grows with η.\n"
    )
    paths = _common.write_outputs(out_dir, NAME, rows, fig, markdown)
    return dict(paths=paths, sgd_max_distance=float(max(sgd)),
                adam_min_distance=float(min(adam)), adam_median_distance=float(np.median(adam)),
                slopes={f"{o}/{r}": s for (o, r), s in slopes.items()})
