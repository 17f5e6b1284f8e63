"""ridge_check — every trainer against the closed-form ridge optimum.

A linear network (no hidden layer, identity output) makes E ridge regression with
an unpenalized intercept, which ``ridge_closed_form`` solves exactly.  PSO,
L-BFGS and full-batch back-prop with every rule (λ converted from λ_E with
``convert_lambda``) are run across λ_E; the table gives each one's largest
parameter distance to the optimum and its relative error gap.
"""

import numpy as np

import swarmreg as sr

from . import _common

NAME = "ridge_check"
SCHEMES = ("pso", "lbfgs", "objective", "textbook_batch", "textbook_dataset", "decay")
N, D, LR = 100, 5, 0.05

MODES = {
    "quick": dict(lams=[0.0, 0.1], seeds=1, epochs=1500, max_iter=600),
    "default": dict(lams=[0.0, 1e-3, 1e-2, 1e-1, 1.0], seeds=3, epochs=4000, max_iter=1500),
    "full": dict(lams=[0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0], seeds=10, epochs=4000, max_iter=2000),
}


def cells(mode):
    m = MODES[mode]
    return [(dict(scheme=s, lam_E=float(lam), epochs=m["epochs"], max_iter=m["max_iter"]), seed)
            for s in SCHEMES for lam in m["lams"] for seed in range(m["seeds"])]


def data(seed):
    rng = np.random.default_rng(3000 + seed)
    X = rng.normal(size=(N, D)) * np.linspace(0.5, 2.0, D)
    t = X @ rng.uniform(-2, 2, D) + 1.5 + 0.5 * rng.normal(size=N)
    return X, t


def run_cell(config, seed):
    X, t = data(seed)
    net = sr.Network([D, 1], output="identity")
    lam_E = config["lam_E"]
    scheme = config["scheme"]
    lam = lam_E if scheme in ("pso", "lbfgs") else sr.convert_lambda(
        lam_E, "objective", scheme, lr=LR, batch_size=N, n_samples=N)
    res = _common.train(scheme, net, X, t, lam, seed, lr=LR, batch_size=None, epochs=config["epochs"],
                        max_iter=config["max_iter"])
    optimum = sr.ridge_closed_form(X, t, lam_E)
    e_star = sr.regularized_error(net, optimum, X, t, lam_E)
    return dict(distance=float(np.abs(res.theta - optimum).max()),
                relative_gap=float((res.error - e_star) / e_star), lam_nominal=lam), _common.timing(res)


def report(records, out_dir, mode):
    rows = _common.flatten(records)
    dist = {}
    gap = {}
    for r in rows:
        key = (r["scheme"], r["lam_E"])
        dist[key] = max(dist.get(key, 0.0), r["distance"])
        gap[key] = max(gap.get(key, -np.inf), r["relative_gap"])
    lams = sorted({r["lam_E"] for r in rows})
    table = [[s] + [f"{dist[(s, lam)]:.1e}" for lam in lams] for s in SCHEMES]
    plt = _common.pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    floor = 1e-17  # an exact hit, drawn on the log axis
    stats = _common.group_stats(rows, ("scheme", "lam_E"), lambda row: max(row["distance"], floor))
    n_seeds = "/".join(str(n) for n in sorted({st.n for st in stats.values()}))
    for s in SCHEMES:
        worst = [stats[(s, lam)].high for lam in lams]
        line = ax.plot(range(len(lams)), worst, "o-", label=s)[0]
        ax.fill_between(range(len(lams)), [stats[(s, lam)].low for lam in lams], worst,
                        color=line.get_color(), alpha=0.15, lw=0)
    ax.set_yscale("log")
    ax.set_xticks(range(len(lams)), [f"{lam:g}" for lam in lams])
    ax.set(xlabel="λ_E", ylabel=f"max |θ − θ*|: worst of {n_seeds} seeds,\nband down to the best",
           title="distance to the ridge optimum")
    ax.legend(fontsize=8)
    fig.tight_layout()
    worst = max(dist.values())
    markdown = (
        "## ridge_check\n\n"
        f"Linear regression, N = {N}, d = {D}; back-prop full batch with η = {LR}, λ converted from λ_E; "
        f"mode `{mode}`.  Largest parameter distance to the closed-form optimum over seeds:\n\n"
        + _common.markdown_table(["trainer"] + [f"λ_E = {lam:g}" for lam in lams], table)
        + f"\n\n![ridge_check]({NAME}.png)\n\nWorst distance overall: {worst:.1e}; worst relative "
        f"error gap: {max(gap.values()):.1e}.\n"
    )
    paths = _common.write_outputs(out_dir, NAME, rows, fig, markdown)
    return dict(paths=paths, worst_distance=worst, worst_gap=max(gap.values()))
