"""A differential fuzzer for srcad: random programs of the language srcad
differentiates (``generate``), each written to a real module file and checked
against the function itself, finite differences and the other transforms
(``check``). ``tests/test_fuzz.py`` runs it under hypothesis; ``python -m fuzz``
(from ``tests/``) runs many programs and counts the outcomes per feature group."""
