"""The compiler: a function's source in, its derivative's source out.

``passes/`` holds the passes in pipeline order, ``pipeline`` runs them, and the modules
beside it are what several passes share: ``syntax`` (building syntax trees), ``names``
(fresh readable names), ``namespace`` (the generated module's globals), ``resolve``
(which object a call names), ``dataflow`` (liveness) and ``inline`` (rule templates
inlined into generated code).
"""
