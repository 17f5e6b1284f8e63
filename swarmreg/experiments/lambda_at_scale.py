"""lambda_at_scale — what λ does in high dimension: for a swarm, and for back-prop.

scikit-learn's digits (64 features, 10 classes; a stratified split of 1344 training items,
a multiple of the batch, and 453 test items, standardized on the training part) and a
64-16-10 tanh/softmax network (1210 parameters, 1184 of them weights), trained on
``E = MSE + λ_E·Σw²`` over a log grid of λ_E.  A swarm algorithm (the estimators' default
one; every algorithm in ``full`` mode, or those passed to ``cells``) takes λ_E itself;
back-prop takes, in each rule's own convention, the nominal λ that ``convert_lambda`` says
amounts to that λ_E: plain SGD (η = 0.1, batches of 16) with the ``objective``,
``textbook_batch`` and ``decay`` rules, and Adam (η = 0.01, batches of 16) with
``objective``.  Recorded: test accuracy, Σw², the MSE, and the penalty's share of E.

Why λ needs a scale: the MSE of a softmax network is at most 2 (all of an item's
probability on a wrong class), while λ·Σw² grows with the number of weights.  A λ that is
a mild correction for a 4-7-3 network (49 weights) is most of the objective for 64-16-10
(1184 weights).  For a swarm λ also bounds where it must search: any θ with E ≤ 2 lies in
the ball Σw² ≤ 2/λ_E, so λ shrinks the region, while back-prop, which follows the
gradient from a small start, only feels λ as a pull towards 0.  (Sharper: the network
with all weights 0 has MSE 1 − 1/K and no penalty, so the minimizer lies in the ball
Σw² ≤ (1 − 1/K)/λ_E.)
"""

import numpy as np

import swarmreg as sr

from . import _common

NAME = "lambda_at_scale"
#: MSE of every 10-class softmax network whose weights are all 0 (uniform outputs): 1 − 1/K.
ZERO_MSE = 0.9
HIDDEN = 16
BATCH = 16
SGD_LR, ADAM_LR = 0.1, 0.01
#: Back-prop schemes: (label, rule, optimizer, learning rate).
BACKPROP = (
    ("sgd objective", "objective", "sgd", SGD_LR),
    ("sgd textbook_batch", "textbook_batch", "sgd", SGD_LR),
    ("sgd decay", "decay", "sgd", SGD_LR),
    ("adam objective", "objective", "adam", ADAM_LR),
)

MODES = {
    "quick": dict(lams=[1e-5, 1e-3, 1e-1], seeds=1, epochs=8, n_train=320, swarm=dict(
        swarm_size=10, max_iter=30), algorithms="default"),
    "default": dict(lams=list(np.logspace(-6, -1, 11)), seeds=2, epochs=100, n_train=None,
                    swarm={}, algorithms="default"),
    "full": dict(lams=list(np.logspace(-6, -1, 11)), seeds=3, epochs=200, n_train=None,
                 swarm={}, algorithms="all"),
}


def default_algorithm():
    """The swarm algorithm a ``PSOClassifier`` uses by default."""
    return sr.PSOClassifier().get_params().get("algorithm", "pso")


def cells(mode, algorithms=None):
    """The grid; ``algorithms`` (names of ``swarmreg.algorithms.ALGORITHMS``) replaces the
    mode's swarm algorithms (the estimators' default one, or all in ``full``)."""
    from ..algorithms import ALGORITHMS

    m = MODES[mode]
    if algorithms is None:
        algorithms = list(ALGORITHMS) if m["algorithms"] == "all" else [default_algorithm()]
    common = dict(epochs=m["epochs"], n_train=m["n_train"], swarm=m["swarm"])
    schemes = [dict(scheme=f"swarm {a}", algorithm=a) for a in algorithms]
    schemes += [dict(scheme=label, rule=rule, optimizer=opt, lr=lr)
                for label, rule, opt, lr in BACKPROP]
    return [(dict(s, lam=float(lam), **common), seed)
            for s in schemes for lam in m["lams"] for seed in range(m["seeds"])]


def nominal_lambda(config, n_train):
    """The λ of the config's back-prop rule that amounts to its λ_E (``convert_lambda``)."""
    return sr.convert_lambda(config["lam"], "objective", config["rule"], lr=config["lr"],
                             batch_size=BATCH, n_samples=n_train, optimizer=config["optimizer"])


def run_cell(config, seed):
    X_tr, X_te, y_tr, y_te, (d, K) = _common.load("digits", seed, n_train=config["n_train"])
    net = sr.Network([d, HIDDEN, K])
    if "algorithm" in config:
        est = sr.PSOClassifier((HIDDEN,), lam=config["lam"], random_state=seed,
                               **config["swarm"])
        if "algorithm" in est.get_params():
            est.set_params(algorithm=config["algorithm"])
        elif config["algorithm"] != "pso":
            raise ValueError(f"this PSOClassifier has no algorithm parameter: cannot run "
                             f"{config['algorithm']!r}")
        res = est.fit(X_tr, y_tr).result_
        lam_nominal = config["lam"]
    else:
        lam_nominal = nominal_lambda(config, len(X_tr))
        res = sr.train_backprop(net, X_tr, y_tr, lam=lam_nominal, rule=config["rule"],
                                optimizer=config["optimizer"], lr=config["lr"], batch_size=BATCH,
                                epochs=config["epochs"], seed=seed)
    out = _common.metrics(net, res, X_tr, X_te, y_tr, y_te)
    out["lam_nominal"] = lam_nominal
    out["penalty_share"] = res.penalty / res.error if res.error > 0 else 0.0
    return out, _common.timing(res)


def start_penalties(lams, networks=((4, 7, 3), (64, HIDDEN, 10)), seeds=20):
    """``{layers: (n_weights, mean Σw² of Network.initial_theta, Σw² of the box [−10, 10])}``:
    the Glorot start of back-prop (and of a swarm started by fan-in), and the expected Σw²
    of a position uniform in McCaffrey's box, 100/3 per weight."""
    out = {}
    for layers in networks:
        net = sr.Network(list(layers))
        mask = net.weight_mask
        glorot = np.mean([np.sum(net.initial_theta(s)[mask] ** 2) for s in range(seeds)])
        out[layers] = (int(mask.sum()), float(glorot), mask.sum() * 100.0 / 3.0)
    return out


def report(records, out_dir, mode):
    rows = _common.flatten(records)
    schemes = list(dict.fromkeys(r["scheme"] for r in rows))
    acc = _common.group_stats(rows, ("scheme", "lam"), "test_accuracy")
    sum_sq = _common.group_stats(rows, ("scheme", "lam"), "sum_sq_weights")
    share = _common.group_stats(rows, ("scheme", "lam"), "penalty_share")
    note = _common.spread_note(acc)

    plt = _common.pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    for scheme in schemes:
        lams = sorted(lam for s, lam in acc if s == scheme)
        swarm = scheme.startswith("swarm")
        # the converted SGD rules coincide: shrinking markers keep each one visible
        size = {"sgd objective": 10, "sgd textbook_batch": 7}.get(scheme, 5)
        style = dict(lw=2.5 if swarm else 1.4, label=scheme, fmt="o-" if swarm else "s--", ms=size)
        for ax, stats in zip(axes, (acc, sum_sq, share)):
            _common.plot_band(ax, lams, [stats[(scheme, lam)] for lam in lams], **style)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("λ_E (each back-prop rule typed the λ that convert_lambda gives)")
    axes[1].set_yscale("log")
    axes[0].set_title("test accuracy")
    axes[1].set_title("Σw² of the trained network")
    axes[2].set_title("the penalty's share of the final E, λ_E·Σw² / E")
    axes[0].set_ylabel(f"digits 64-{HIDDEN}-10\n{note}")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"λ at scale: digits 64-{HIDDEN}-10 (1184 weights), a swarm against back-prop "
                 f"at equal λ_E; {note}")
    fig.tight_layout()

    table_rows = []
    for scheme in schemes:
        lams = sorted(lam for s, lam in acc if s == scheme)
        best = max(lams, key=lambda lam: acc[(scheme, lam)].mean)
        first = lams[0]
        lam_nominal = _common.group_mean(rows, ("scheme", "lam"), "lam_nominal")
        table_rows.append([
            scheme, f"{lam_nominal[(scheme, best)] / best:.4g}",
            f"{acc[(scheme, first)].mean:.3f} (Σw² {sum_sq[(scheme, first)].mean:.3g})",
            f"{best:.3g}", f"{acc[(scheme, best)].mean:.3f} (Σw² {sum_sq[(scheme, best)].mean:.3g})",
            f"{acc[(scheme, lams[-1])].mean:.3f} (penalty {share[(scheme, lams[-1])].mean:.0%} of E)"])
    table = _common.markdown_table(
        ["scheme", "nominal λ per unit of λ_E", f"at λ_E = {min(r['lam'] for r in rows):.3g}",
         "best λ_E", "test accuracy there", f"at λ_E = {max(r['lam'] for r in rows):.3g}"],
        table_rows)

    starts = start_penalties([1e-4, 1e-3, 1e-2])
    scale_rows = []
    for lam in (1e-4, 1e-3, 1e-2):
        row = [f"{lam:g}", f"{np.sqrt(ZERO_MSE / lam):.3g}"]
        for layers, (n_w, glorot, box) in starts.items():
            row += [f"{lam * glorot:.3g}", f"{lam * box:.3g}"]
        scale_rows.append(row)
    header = ["λ_E", f"radius of the ball Σw² ≤ {ZERO_MSE:g}/λ_E"]
    for layers, (n_w, _, _) in starts.items():
        name = "-".join(map(str, layers))
        header += [f"{name} ({n_w} weights): λ_E·Σw² at the Glorot start", f"{name}: in the box"]
    scale = _common.markdown_table(header, scale_rows)

    swarm_rows = [r for r in rows if r["scheme"].startswith("swarm")]
    bp_best = max((acc[k].mean, k) for k in acc if not k[0].startswith("swarm"))
    sw_best = max((acc[k].mean, k) for k in acc if k[0].startswith("swarm")) if swarm_rows else None
    n_w = starts[(64, HIDDEN, 10)][0]
    markdown = (
        f"## {NAME}\n\n"
        f"scikit-learn's digits, a 64-{HIDDEN}-10 tanh/softmax network ({n_w} weights), "
        f"{len(set(r['seed'] for r in rows))} seed(s), mode `{mode}`: λ_E from "
        f"{min(r['lam'] for r in rows):g} to {max(r['lam'] for r in rows):g}; back-prop "
        f"in batches of {BATCH} (SGD η = {SGD_LR}, Adam η = {ADAM_LR}), each rule given the "
        "nominal λ that `convert_lambda` says amounts to λ_E; the swarm with its estimator's "
        "defaults.\n\n"
        f"![{NAME}]({NAME}.png)\n\n"
        f"Each point: {note}.\n\n{table}\n\n"
        f"Best back-prop: {bp_best[1][0]} at λ_E = {bp_best[1][1]:.3g}, test accuracy "
        f"{bp_best[0]:.3f}"
        + (f"; best swarm: {sw_best[1][0]} at λ_E = {sw_best[1][1]:.3g}, {sw_best[0]:.3f}.\n\n"
           if sw_best else ".\n\n")
        + "**Why a λ that is mild for 4-7-3 dominates 64-16-10.** The MSE of a softmax network "
        "is bounded: an item's squared error Σ_k (y_k − t_k)² is at most 2, so MSE ≤ 2 whatever "
        "the weights (a trained network's is far below 1).  The penalty λ_E·Σw² is not: it grows with the number of weights, "
        f"{starts[(4, 7, 3)][0]} for 4-7-3 against {n_w} here.  At the Glorot start "
        "(back-prop's) and in McCaffrey's box [−10, 10] (a swarm's start before fan-in "
        "ranges, 100/3 per weight on average) the penalty is, for each λ_E:\n\n"
        f"{scale}\n\n"
        "A penalty comparable with the MSE is most of E: the optimum then trades accuracy "
        "for small weights, until, at the largest λ_E, the network is flattened to nearly "
        "constant outputs (then Σw² and with it the penalty's share of the final E are "
        "small again: right panel).  For a swarm λ_E also says where to look.  The network "
        f"with all weights 0 predicts uniform probabilities, MSE = 1 − 1/K = {ZERO_MSE:g}, "
        "and no penalty; so the minimizer of E, and every particle better than that "
        f"network, lies in the ball Σw² ≤ {ZERO_MSE:g}/λ_E, whose radius the table gives.  "
        "A larger λ_E shrinks the region the swarm must search, and in 1210 dimensions "
        "that ball is a vanishing fraction of any box around it: from McCaffrey's box, "
        "at λ_E = 1e-3, every starting particle has a penalty of about 40, forty times the "
        "MSE of the zero network, so the swarm spends its budget shrinking weights, not "
        "fitting.  A start by fan-in (Glorot ranges) begins inside the ball.  Back-prop "
        "starts small and follows the gradient; to it λ is only a pull towards 0, so its "
        "accuracy falls only once the penalty dominates.  The SGD rules, converted, take "
        "the same steps: their curves lie on one another.\n"
    )
    paths = _common.write_outputs(out_dir, NAME, rows, fig, markdown)
    sgd = [s for s in schemes if s.startswith("sgd")]
    lams = sorted({r["lam"] for r in rows})
    sgd_spread = max(
        (max(sum_sq[(s, lam)].mean for s in sgd) / min(sum_sq[(s, lam)].mean for s in sgd) - 1
         for lam in lams), default=0.0)
    return dict(paths=paths, schemes=schemes, best_backprop=[bp_best[1][0], bp_best[1][1], bp_best[0]],
                best_swarm=None if sw_best is None else [sw_best[1][0], sw_best[1][1], sw_best[0]],
                sgd_sum_sq_spread=float(sgd_spread))
