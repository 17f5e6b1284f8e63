"""The same λ = 0.01 typed into PSO and into each back-prop rule, on Iris 4-7-3.

Run:  python experiments/same_lambda.py

Prints, per trainer, the λ_E that the typed λ amounts to (``convert_lambda``), and
what the trained network ends with: Σw² and training/test accuracy, as the markdown
block that README.md shows between its ``same-lambda-table`` markers
(tests/test_readme.py regenerates it and compares).
"""

import numpy as np

import swarmreg as sr
from swarmreg.algorithms.pso import MCCAFFREY

LAM, LR, EPOCHS, SEED = 0.01, 0.01, 300, 1
RULES = ("objective", "textbook_batch", "textbook_dataset", "decay")


def table():
    """The markdown block: one context line, then one table row per trainer."""
    X, X_te, y, y_te = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 7, 3])
    runs = [("PSO (λ is λ_E)", sr.train_pso(net, X, y, lam=LAM, seed=SEED, **MCCAFFREY))]
    for rule in RULES:
        res = sr.train_backprop(net, X, y, lam=LAM, rule=rule, lr=LR, batch_size=1, epochs=EPOCHS,
                                seed=SEED)
        runs.append((f"back-prop `{rule}`, online", res))
    lines = [
        f"λ = {LAM:g} everywhere, seed {SEED}; PSO with McCaffrey's settings; back-prop with η = {LR:g}, "
        f"a batch of 1, {EPOCHS} epochs; N = {len(X)} training and {len(X_te)} test items.",
        "",
        "| trainer | λ_E it minimizes | Σw² | train accuracy | test accuracy |",
        "|---|---|---|---|---|",
    ]
    for name, res in runs:
        acc = [np.mean(net.predict(res.theta, A) == b) for A, b in ((X, y), (X_te, y_te))]
        lines.append(f"| {name} | {res.lam:.4g} | {res.sum_sq_weights:.3g} | {acc[0]:.3f} | "
                     f"{acc[1]:.3f} |")
    return "\n".join(lines)


def main():
    print(table())


if __name__ == "__main__":
    main()
