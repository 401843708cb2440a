"""Readable, collision-free names for generated variables."""
import builtins
import keyword
import re

import gast


class Names:
    """Hands out fresh identifiers that clash with nothing the function uses."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self.meanings = {}  # generated identifier -> what it holds, in the user's words

    def shown(self, identifier):
        """How a message names ``identifier``: the user's own name, or what a variable srcad
        made holds (``the sequence the loop goes over, [m8, x]``)."""
        return self.meanings.get(identifier, identifier)

    @classmethod
    def for_tree(cls, tree, extra=()):
        """Reserve every identifier already used in ``tree``."""
        used = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)}
        used |= {n.name for n in gast.walk(tree) if isinstance(n, gast.FunctionDef)}
        return cls(used | set(extra))

    def reserve(self, identifier):
        self.taken.add(identifier)
        return identifier

    def fresh(self, hint, meaning=None):
        """``hint`` itself if free, else ``hint2``, ``hint3``, ...; ``meaning`` is what messages
        call it (see :meth:`shown`)."""
        identifier = self._fresh(hint)
        if meaning is not None:
            self.meanings[identifier] = meaning
        return identifier

    def _fresh(self, hint):
        base = _clean(hint)
        if base not in self.taken:
            return self.reserve(base)
        stem = base.rstrip("0123456789") or base
        if stem != base or stem.endswith("_"):
            stem = stem
        counter = 2
        while True:
            candidate = f"{stem}{counter}" if not stem[-1].isdigit() else f"{stem}_{counter}"
            if candidate not in self.taken:
                return self.reserve(candidate)
            counter += 1

    def version(self, identifier):
        """A new version of a user variable: ``x`` → ``x_2``, ``x_3``, ..."""
        stem = re.sub(r"_\d+$", "", identifier)
        counter = 2
        while f"{stem}_{counter}" in self.taken:
            counter += 1
        return self.reserve(f"{stem}_{counter}")


_BUILTINS = frozenset(dir(builtins))


def _clean(hint):
    if hint == "_":
        return hint
    hint = re.sub(r"\W+", "_", hint).strip("_") or "t"
    if hint[0].isdigit():
        hint = "t" + hint
    if keyword.iskeyword(hint) or hint in _BUILTINS:
        hint += "_"  # never shadow a keyword or a builtin the generated code may call
    return hint
