"""The same λ = 0.01 typed into PSO and into each back-prop rule, on Iris 4-7-3.

Run:  python experiments/same_lambda.py

Prints, per trainer, the λ_E that the typed λ amounts to (``convert_lambda``), and
what the trained network ends with: Σw² and training/test accuracy.  README.md
quotes the output.
"""

import numpy as np

import swarmreg as sr

LAM, LR, EPOCHS, SEED = 0.01, 0.01, 300, 1


def main():
    X, X_te, y, y_te = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 7, 3])
    runs = [("PSO (λ is λ_E)", sr.train_pso(net, X, y, lam=LAM, seed=SEED))]
    for rule in ("objective", "textbook_batch", "textbook_dataset", "decay"):
        res = sr.train_backprop(net, X, y, lam=LAM, rule=rule, lr=LR, batch_size=1, epochs=EPOCHS,
                                seed=SEED)
        runs.append((f"back-prop `{rule}`, online", res))
    print(f"λ = {LAM} everywhere; back-prop: η = {LR}, batch of 1, {EPOCHS} epochs; N = {len(X)}")
    print()
    print("| trainer | λ_E it minimizes | Σw² | train accuracy | test accuracy |")
    print("|---|---|---|---|---|")
    for name, res in runs:
        acc = [np.mean(net.predict(res.theta, A) == b) for A, b in ((X, y), (X_te, y_te))]
        print(f"| {name} | {res.lam:.4g} | {res.sum_sq_weights:.3g} | {acc[0]:.3f} | {acc[1]:.3f} |")


if __name__ == "__main__":
    main()
