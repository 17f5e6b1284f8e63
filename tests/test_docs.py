"""The design reference in docs/design.md: every citation of it resolves, nothing points elsewhere."""

import re
from pathlib import Path

import numpy as np
import pytest

import swarmreg as sr

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs/design.md"
# What ships or runs from the repository, and so must cite only what is in it.
CITING = sorted([ROOT / "README.md", *(p for d in ("swarmreg", "tests", "experiments")
                                       for p in (ROOT / d).rglob("*") if p.suffix in (".py", ".md"))])
CITATION = re.compile(r"docs/design\.md((?:\s*(?:,|–|and)?\s*§\d+)+)")


def sections():
    """Numbers of the ``## N. Title`` headings of docs/design.md."""
    return {int(n) for n in re.findall(r"^## (\d+)\. ", REFERENCE.read_text(), flags=re.M)}


def test_design_sections_are_numbered_in_order():
    numbers = [int(n) for n in re.findall(r"^## (\d+)\. ", REFERENCE.read_text(), flags=re.M)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 9


def test_citations_of_the_design_reference_name_existing_sections():
    missing = {}
    for path in CITING:
        refs = CITATION.findall(path.read_text(encoding="utf-8"))
        cited = {int(n) for r in refs for n in re.findall(r"§(\d+)", r)}
        if cited - sections():
            missing[str(path.relative_to(ROOT))] = sorted(cited - sections())
    assert not missing
    assert CITATION.findall((ROOT / "swarmreg" / "pso.py").read_text())  # the pattern finds some


def test_nothing_points_outside_the_repository():
    # A design file other than docs/design.md, or the parent directory's shared folder.
    outside = re.compile(r"(?<!docs/)\bdesign\.md|\.\./shared\b", flags=re.I)
    offenders = [str(p.relative_to(ROOT)) for p in CITING if outside.search(p.read_text(encoding="utf-8"))]
    assert not offenders


def test_cross_references_inside_the_design_reference_exist():
    cited = {int(n) for n in re.findall(r"§(\d+)", REFERENCE.read_text())}
    assert cited <= sections()


def test_lambda_sources_cite_the_design_reference_or_an_outside_work():
    for scheme in sr.SCHEMES.values():
        assert "seed" not in scheme.source
        for refs in CITATION.findall(scheme.source):
            assert {int(n) for n in re.findall(r"§(\d+)", refs)} <= sections()


def test_design_reference_states_the_table_that_backprop_implements():
    """The λ_E column of §4 is what train_backprop reports, for each rule."""
    text = REFERENCE.read_text()
    section = text[text.index("## 4."):text.index("## 5.")]
    rows = dict(re.findall(r"^\| `(\w+)`[^|]*\| `[^`]+` \| ([^|]+) \|$", section, flags=re.M))
    assert set(rows) == {"none", "objective", "textbook_batch", "textbook_dataset", "decay"}
    m, N, lr, lam = 1, 120, 0.05, 0.3
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    assert len(X) == N
    expected = {"0": 0.0, "λ": lam, "λ / (2m)": lam / (2 * m), "λ / (2N)": lam / (2 * N),
                "λ / (2η)": lam / (2 * lr)}
    net = sr.Network([4, 3])
    for rule, formula in rows.items():
        res = sr.train_backprop(net, X, y, lam=0.0 if rule == "none" else lam, rule=rule, lr=lr,
                                batch_size=m, epochs=1, seed=0)
        assert res.lam == pytest.approx(expected[formula.strip()], rel=1e-15), rule


def test_a_half_convention_step_is_swarmregs_rule_at_half_the_rate_and_twice_the_lambda():
    """§9: ``w ← (1 − ηλ/N)·w − η·½g`` is ``textbook_dataset`` with η/2 and 2λ."""
    X, _, y, _ = sr.datasets.iris(test_size=0.2, seed=0)
    net = sr.Network([4, 5, 3])
    theta0 = net.initial_theta(3)
    lr, lam, N = 0.1, 0.6, len(X)
    half_grad = 0.5 * sr.gradient(net, theta0, X, y, lam=0.0)  # of C = ½‖y − t‖², item mean
    shrink = np.where(net.weight_mask, 1.0 - lr * lam / N, 1.0)
    nielsen = shrink * theta0 - lr * half_grad
    res = sr.train_backprop(net, X, y, lam=2 * lam, rule="textbook_dataset", lr=lr / 2,
                            batch_size=None, epochs=1, shuffle=False, theta0=theta0, seed=0)
    np.testing.assert_allclose(res.theta, nielsen, rtol=0, atol=1e-14)
    assert res.lam == pytest.approx(lam / N, rel=1e-15)  # λ_E = λ/N, not λ/(2N)


def registry_tables():
    """The tables of docs/design.md §3, from the registries of activations, outputs, losses."""
    from swarmreg._kernels.activations import HIDDEN
    from swarmreg._kernels.losses import LOSSES
    from swarmreg._kernels.outputs import OUTPUTS

    def targets(o):
        return (f"class labels or probabilities, K ≥ {o.min_width}" if o.classifier
                else "real values")

    lines = ["| hidden activation | f(z) | init factor f |", "|---|---|---|"]
    lines += [f"| `{a.name}` | {a.formula} | {a.init_factor:g} |" for a in HIDDEN.values()]
    lines += ["", "| output activation | y(z) | init factor f | targets |", "|---|---|---|---|"]
    lines += [f"| `{o.name}` | {o.formula} | {o.init_factor:g} | {targets(o)} |"
              for o in OUTPUTS.values()]
    lines += ["", "| loss | per item | after the outputs |", "|---|---|---|"]
    lines += [f"| `{loss.name}` | {loss.formula} | {', '.join(f'`{o}`' for o in loss.pieces)} |"
              for loss in LOSSES.values()]
    return "\n".join(lines)


def test_the_design_reference_lists_every_registry_entry():
    text = REFERENCE.read_text()
    block = text[text.index("<!-- registries:start -->\n") + len("<!-- registries:start -->\n"):
                 text.index("<!-- registries:end -->")]
    assert block.strip() == registry_tables(), "replace the tables of §3 with:\n" + registry_tables()


def test_the_design_reference_ships_inside_the_package():
    # Every "docs/design.md §N" resolves after a wheel install: the file is package data.
    import importlib.resources

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    shipped = importlib.resources.files("swarmreg") / "docs/design.md"
    assert shipped.is_file() and shipped.read_text() == REFERENCE.read_text()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "docs/design.md" in config["tool"]["setuptools"]["package-data"]["swarmreg"]
