"""The passes, one module each, in the order they run (the number is the order).

    p01_parse      the function's source read into a syntax tree, with its file and lines
    p02_language   the supported-language whitelist: any other construct is refused here
    p03_lift       nested functions lifted to functions of their own      (run by desugar)
    p04_effects    in-place methods (append, pop, ...) as assignments      (run by desugar)
    p05_desugar    fewer kinds of statement
    p06_jumps      return, break and continue lowered to flags             (run by desugar)
    p07_calls      calls bound to their callee's parameters (*args, **kwargs spread)
    p08_aliasing   arrays written into: copies, or refusals
    p09_anf        A-normal form: one operation per line
    p10_kinds      which values are surely lists, tuples, dicts or numbers
    p11_activity   which variables carry a derivative
    p12_reverse    reverse mode: a forward sweep, then a backward sweep
    p12_forward    forward mode: each value followed by its tangent (instead of p12_reverse)
    p12_walker     what both modes share: the walk, the kinds of statement, branches, calls
    p13_shapes     shape classes; broadcasting reductions dropped where shapes are equal
    p14_restore    the tape: what the backward sweep needs of overwritten values
    p15_optimize   dead code, copies and constants folded away
    p16_emit       source text with comments pointing at the user's lines, compiled

:mod:`srcad.compiler.pipeline` runs them; the helpers they share sit beside it in
:mod:`srcad.compiler`.
"""
