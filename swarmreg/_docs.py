"""Docstrings that list a registry's names, so that they follow the registry."""


def fill(doc, **registries):
    """``doc`` with each ``<NAME>`` replaced by the quoted keys of ``registries[NAME]``,
    e.g. ``fill(doc, HIDDEN=activations.HIDDEN)`` turns ``{<HIDDEN>}`` into
    ``{"tanh", "relu", ...}``; None (Python's ``-OO``) stays None."""
    if doc is None:
        return None
    for name, registry in registries.items():
        doc = doc.replace(f"<{name}>", ", ".join(f'"{key}"' for key in registry))
    return doc
