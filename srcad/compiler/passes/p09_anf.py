"""A-normal form. One operation per assignment, on names and literals.

Also renames a variable that is reassigned at the top level of the function
(``x = x * 2`` becomes ``x_2 = x * 2``) so that straight-line code never
overwrites a value, and splits ``x = f(x)`` inside loops and branches into
``x_new = f(x); x = x_new`` so that no operation overwrites its own operand.

Expressions that cannot carry a derivative (they read no differentiated
variable) stay whole: ``c = np.exp(X) * 2`` is one statement.
"""
import gast

from .p11_activity import flowing_names
from ..syntax import appended, assign, assigned_variables, clone, constant, located, name, names_loaded

_OP_WORDS = {
    gast.Add: "plus", gast.Sub: "minus", gast.Mult: "times", gast.Div: "over",
    gast.Pow: "pow", gast.MatMult: "", gast.FloorDiv: "floordiv", gast.Mod: "mod",
}
_MAX_HINT = 16


def to_anf(node, names, wrt_names):
    """Rewrite the desugared function ``node`` into A-normal form in place."""
    varied = may_vary(node, wrt_names)
    variadic = [node.args.vararg.id] if node.args.vararg is not None else []
    builder = _Anf(names, varied, [a.id for a in node.args.args + node.args.kwonlyargs] + variadic)
    node.body = builder.block(node.body, top_level=True)
    return node


def may_vary(node, wrt_names):
    """Names that may depend on a differentiated argument (flow-insensitive)."""
    varied = set(wrt_names)
    assignments = [s for s in gast.walk(node) if isinstance(s, gast.Assign)]
    for stmt in gast.walk(node):
        append = appended(stmt)
        if append is not None:  # xs.append(v) is, for derivatives, xs = xs + [v]
            assignments.append(assign(append[0], append[1]))
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) and stmt.value.args \
                and isinstance(stmt.value.args[0], gast.Name):
            # a call that may change its first argument in place (add_at(buffer, index, g))
            assignments.append(assign(stmt.value.args[0].id, gast.Tuple(elts=stmt.value.args[1:], ctx=gast.Load())))
    changed = True
    while changed:
        changed = False
        for stmt in assignments:
            if flowing_names(stmt.value) & varied:
                for written in assigned_variables(stmt):
                    if written not in varied:
                        varied.add(written)
                        changed = True
    return varied


class _Anf:
    def __init__(self, names, varied, parameters):
        self.names = names
        self.varied = varied
        self.current = {}
        self.assigned = set(parameters)
        self.origin = None

    # -- statements -----------------------------------------------------
    def block(self, stmts, top_level=False):
        out = []
        for stmt in stmts:
            self.origin = getattr(stmt, "lineno", self.origin)
            out.extend(self.statement(stmt, top_level))
        return out

    def statement(self, stmt, top_level):
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            # the header's own line, not that of the body's last statement
            stmt.srcad_origin = getattr(stmt, "srcad_origin", None) or self.origin
        if isinstance(stmt, gast.Assign):
            return self.assignment(stmt, top_level)
        if isinstance(stmt, gast.If):
            return self.if_statement(stmt)
        if isinstance(stmt, gast.For):
            return self.for_statement(stmt)
        if isinstance(stmt, gast.While):
            return self.while_statement(stmt)
        if isinstance(stmt, gast.Return):
            out = []
            value = self.operand(stmt.value, out, hint_name="out") if stmt.value is not None else constant(None)
            return out + [self.tag(gast.Return(value=value))]
        if isinstance(stmt, gast.Expr):
            out = []
            value = self.primitive(stmt.value, out)
            return out + [self.tag(gast.Expr(value=value))]
        self.rename_loads(stmt)
        return [self.tag(stmt)]

    def assignment(self, stmt, top_level):
        target = stmt.targets[0]
        out = []
        if isinstance(target, gast.Subscript):
            return self.store(stmt, target, out)
        if isinstance(target, gast.Name):
            value = self.primitive(stmt.value, out)
            out.extend(self.bind(target.id, value, top_level))
            return out
        if isinstance(stmt.value, (gast.Tuple, gast.List)) and len(stmt.value.elts) == len(target.elts) \
                and all(isinstance(t, gast.Name) for t in target.elts):
            values = [self.operand(v, out) for v in stmt.value.elts]
            targets = [t.id for t in target.elts]
            # a, b = b, a: read every right-hand name before any is overwritten
            values = [self.copy_if_overwritten(v, targets, out) for v in values]
            for t, v in zip(targets, values):
                out.extend(self.bind(t, v, top_level))
            return out
        value = self.operand(stmt.value, out)
        if any(not isinstance(t, gast.Name) for t in target.elts):
            # (W1, b1), (W2, b2) = params: unpack one level at a time
            parts = [t if isinstance(t, gast.Name) else name(self.names.fresh("part"), store=True)
                     for t in target.elts]
            out.extend(self.assignment(gast.Assign(targets=[gast.Tuple(elts=parts, ctx=gast.Store())],
                                                   value=value, type_comment=None), top_level))
            for part, original in zip(parts, target.elts):
                if part is not original:
                    inner = gast.Assign(targets=[original], value=name(part.id), type_comment=None)
                    out.extend(self.assignment(inner, top_level))
            return out
        targets = [self.target_name(t.id, top_level) for t in target.elts]
        varied = bool(flowing_names(value) & self.varied)
        for old, new in zip((t.id for t in target.elts), targets):
            if varied:
                self.varied.update((old, new))
        out.append(self.tag(assign(targets, value)))
        return out

    def store(self, stmt, target, out):
        """``y[i] = v``: an in-place write into an array the function made (``aliasing.py``
        has checked that no other name sees it)."""
        base = self.rename_loads(target.value).id
        value = self.operand(stmt.value, out)
        index = self.index(target.slice, out)
        if self.varies(value):
            self.varied.add(base)
        node = gast.Assign(targets=[gast.Subscript(value=name(base), slice=index, ctx=gast.Store())],
                           value=value, type_comment=None)
        out.append(self.tag(node))
        return out

    def copy_if_overwritten(self, value, targets, out):
        if isinstance(value, gast.Name) and any(self.current.get(t, t) == value.id for t in targets):
            copy = self.names.fresh(value.id + "_old")
            self.mark(copy, value)
            out.append(self.tag(assign(copy, value)))
            return name(copy)
        return value

    def bind(self, identifier, value, top_level):
        """``identifier = value``, versioned or split as the module docstring says."""
        reads = names_loaded(value)
        varied = bool(flowing_names(value) & self.varied)
        target = self.target_name(identifier, top_level)
        if varied:
            self.varied.update((identifier, target))
        if target in reads and varied and not isinstance(value, gast.Name):
            fresh = self.names.fresh(identifier + "_new")
            self.varied.add(fresh)
            return [self.tag(assign(fresh, value)), self.tag(assign(target, name(fresh)))]
        return [self.tag(assign(target, value))]

    def target_name(self, identifier, top_level):
        if top_level and identifier in self.assigned:
            new = self.names.version(identifier)
            self.current[identifier] = new
            return new
        self.assigned.add(identifier)
        return self.current.get(identifier, identifier)

    def if_statement(self, stmt):
        out = []
        test = self.condition(stmt.test, out, stmt.body + stmt.orelse)
        body = self.block(stmt.body)
        orelse = self.block(stmt.orelse)
        node = gast.If(test=test, body=body or [gast.Pass()], orelse=orelse)
        node.srcad_origin = stmt.srcad_origin
        node.srcad_loop_exit = getattr(stmt, "srcad_loop_exit", False)
        return out + [self.tag(gast.copy_location(node, stmt))]

    def condition(self, test, out, inside):
        """An if-test as a name that the branches do not reassign."""
        self.rename_loads(test)
        assigned_inside = {n.id for s in inside for n in gast.walk(s)
                           if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        if isinstance(test, gast.Name) and test.id not in assigned_inside:
            return test
        cond = self.names.fresh(_condition_hint(test))
        out.append(self.tag(assign(cond, test)))
        return name(cond)

    def for_statement(self, stmt):
        out = []
        assigned_inside = {n.id for s in stmt.body for n in gast.walk(s)
                           if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        bounds = []
        for arg in stmt.iter.args:
            bound = self.operand(arg, out)
            if isinstance(bound, gast.Name) and (bound.id in assigned_inside or bound.id in self.current.values()
                                                 and bound.id in assigned_inside):
                copy = self.names.fresh(bound.id + "_stop")
                out.append(self.tag(assign(copy, bound)))
                bound = name(copy)
            bounds.append(bound)
        stmt.iter.args = bounds
        target = stmt.target.id
        self.assigned.add(target)
        stmt.target.id = self.current.get(target, target)
        stmt.body = self.block(stmt.body) or [gast.Pass()]
        return out + [self.tag(stmt)]

    def while_statement(self, stmt):
        out = []
        test_source = stmt.test
        first = self.condition(clone(test_source), out, [stmt])
        if isinstance(first, gast.Name) and not out:
            cond = self.names.fresh(_condition_hint(test_source))
            out.append(self.tag(assign(cond, first)))
            first = name(cond)
        cond = first.id
        body = self.block(stmt.body)
        recompute = clone(test_source)
        self.rename_loads(recompute)
        body.append(self.tag(assign(cond, recompute)))
        node = gast.While(test=name(cond), body=body, orelse=[])
        node.srcad_origin = stmt.srcad_origin
        node.srcad_stop_flag = getattr(stmt, "srcad_stop_flag", None)
        return out + [self.tag(gast.copy_location(node, stmt))]

    # -- expressions ----------------------------------------------------
    def varies(self, expr):
        return bool(flowing_names(expr) & self.varied)

    def is_local(self, identifier):
        return identifier in self.assigned or identifier in self.varied or identifier in self.current.values()

    def operand(self, expr, out, hint_name=None):
        """``expr`` as a name, a literal, or a cheap expression that carries no derivative."""
        if isinstance(expr, gast.Constant) or _is_negative_literal(expr):
            return expr
        if isinstance(expr, gast.Name):
            return self.rename_loads(expr)
        if not self.varies(expr) and _cheap(expr):
            return self.rename_loads(expr)
        value = self.primitive(expr, out)
        if isinstance(value, gast.Name) or isinstance(value, gast.Constant):
            return value
        temp = self.names.fresh(hint_name or hint(value, self.is_local))
        self.mark(temp, value)
        out.append(self.tag(assign(temp, value)))
        return name(temp)

    def mark(self, identifier, value):
        if self.varies(value):
            self.varied.add(identifier)

    def primitive(self, expr, out):
        """``expr`` as one operation whose operands are operands (see :meth:`operand`), at
        the columns the user wrote it (error messages put their caret there)."""
        operation = self.operation(expr, out)
        if operation is not expr and hasattr(expr, "lineno") and not hasattr(operation, "lineno"):
            gast.copy_location(operation, expr)
        return operation

    def operation(self, expr, out):
        if not self.varies(expr) or isinstance(expr, (gast.Compare, gast.BoolOp)) \
                or isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.Not):
            return self.rename_loads(expr)
        if isinstance(expr, gast.Name):
            return self.rename_loads(expr)
        if isinstance(expr, gast.BinOp):
            return gast.BinOp(left=self.operand(expr.left, out), op=expr.op, right=self.operand(expr.right, out))
        if isinstance(expr, gast.UnaryOp):
            return gast.UnaryOp(op=expr.op, operand=self.operand(expr.operand, out))
        if isinstance(expr, gast.Call):
            func = expr.func
            if isinstance(func, gast.Attribute) and self.varies(func.value):
                func = gast.Attribute(value=self.operand(func.value, out), attr=func.attr, ctx=gast.Load())
            else:
                func = self.rename_loads(func)
            args = [gast.Starred(value=self.operand(a.value, out), ctx=gast.Load()) if isinstance(a, gast.Starred)
                    else self.operand(a, out) for a in expr.args]
            keywords = [gast.keyword(arg=k.arg, value=self.operand(k.value, out)) for k in expr.keywords]
            return gast.Call(func=func, args=args, keywords=keywords)
        if isinstance(expr, gast.Attribute):
            return gast.Attribute(value=self.operand(expr.value, out), attr=expr.attr, ctx=gast.Load())
        if isinstance(expr, gast.Subscript):
            return gast.Subscript(value=self.operand(expr.value, out), slice=self.index(expr.slice, out),
                                  ctx=gast.Load())
        if isinstance(expr, (gast.Tuple, gast.List)):
            return type(expr)(elts=[self.operand(e, out) for e in expr.elts], ctx=gast.Load())
        if isinstance(expr, gast.Dict):
            return gast.Dict(keys=[self.rename_loads(k) for k in expr.keys],
                             values=[self.operand(v, out) for v in expr.values])
        if isinstance(expr, gast.IfExp):
            return self.conditional_expression(expr, out)
        return self.rename_loads(expr)

    def index(self, index, out):
        if isinstance(index, gast.Slice):
            parts = [None if p is None else self.operand(p, out) for p in (index.lower, index.upper, index.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(index, gast.Tuple):
            return gast.Tuple(elts=[self.index(e, out) for e in index.elts], ctx=gast.Load())
        return self.operand(index, out)

    def conditional_expression(self, expr, out):
        result = self.names.fresh("chosen")
        self.varied.add(result)
        test = self.condition(expr.test, out, [])
        body, orelse = [], []
        body.append(self.tag(assign(result, self.primitive(expr.body, body))))
        orelse.append(self.tag(assign(result, self.primitive(expr.orelse, orelse))))
        out.append(self.tag(gast.If(test=test, body=body, orelse=orelse)))
        return name(result)

    def rename_loads(self, node):
        if self.current:
            for n in gast.walk(node):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id in self.current:
                    n.id = self.current[n.id]
        return node

    def tag(self, stmt):
        return located(stmt, getattr(stmt, "srcad_origin", None) or self.origin)



def _is_negative_literal(expr):
    return isinstance(expr, gast.UnaryOp) and isinstance(expr.op, (gast.USub, gast.UAdd)) \
        and isinstance(expr.operand, gast.Constant)


def _cheap(expr):
    """Attribute and subscript chains of names and literals: free to evaluate twice."""
    if isinstance(expr, (gast.Name, gast.Constant)) or _is_negative_literal(expr):
        return True
    if isinstance(expr, gast.Attribute):
        return _cheap(expr.value)
    if isinstance(expr, gast.Subscript):
        return _cheap(expr.value) and _cheap_index(expr.slice)
    return False


def _cheap_index(index):
    if isinstance(index, gast.Slice):
        return all(p is None or _cheap(p) for p in (index.lower, index.upper, index.step))
    if isinstance(index, gast.Tuple):
        return all(_cheap_index(e) for e in index.elts)
    return _cheap(index)


def _word(node):
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        value = int(node.value) if float(node.value).is_integer() else node.value
        return str(value).replace(".", "_").replace("-", "m")
    if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
            and isinstance(node.slice, (gast.Name, gast.Constant)):
        index = _word(node.slice)
        return f"{node.value.id}_{index}" if index else None
    return None


def _callee_word(func):
    if isinstance(func, gast.Attribute):
        return func.attr
    if isinstance(func, gast.Name):
        return func.id
    return "call"


def hint(value, is_local=lambda identifier: True):
    """A readable name for the result of a primitive operation."""
    words = None
    fallback = "t"
    if isinstance(value, gast.BinOp):
        op = _OP_WORDS.get(type(value.op), "op")
        left, right = _word(value.left), _word(value.right)
        fallback = {"": "product"}.get(op, op)
        if left and right:
            # a matrix product reads like the book's juxtaposition: XW1; longer names keep a separator
            joined = f"{left}{right}" if len(left) + len(right) <= 5 and "_" not in left + right \
                else f"{left}_{right}"
            words = joined if op == "" else f"{left}_{op}_{right}"
    elif isinstance(value, gast.UnaryOp):
        operand = _word(value.operand)
        fallback = "neg"
        words = f"neg_{operand}" if operand else None
    elif isinstance(value, gast.Call):
        fallback = _callee_word(value.func)
        method_of = value.func.value if isinstance(value.func, gast.Attribute) else None
        if isinstance(method_of, gast.Name) and is_local(method_of.id):
            words = f"{_word(value.func.value)}_{fallback}"
        else:
            arg_words = [_word(a) for a in value.args if isinstance(a, gast.Name)]
            words = f"{fallback}_{arg_words[0]}" if arg_words else None
    elif isinstance(value, gast.Attribute):
        fallback = value.attr
        base = _word(value.value)
        words = f"{base}_{value.attr}" if base else None
    elif isinstance(value, gast.Subscript):
        base = _word(value.value)
        fallback = f"{base}_item" if base else "item"
        index = _word(value.slice) if not isinstance(value.slice, (gast.Slice, gast.Tuple)) else None
        words = f"{base}_{index}" if base and index else None
    elif isinstance(value, gast.Compare):
        return _condition_hint(value).replace("cond", "mask")
    elif isinstance(value, gast.Tuple):
        fallback = "pair" if len(value.elts) == 2 else "items"
    elif isinstance(value, gast.List):
        fallback = "items"
    if words and len(words) <= _MAX_HINT:
        return words
    return fallback


def _condition_hint(test):
    if isinstance(test, gast.Compare) and len(test.ops) == 1:
        left, right = _word(test.left), _word(test.comparators[0])
        words = {gast.Lt: "lt", gast.LtE: "le", gast.Gt: "gt", gast.GtE: "ge",
                 gast.Eq: "eq", gast.NotEq: "ne"}.get(type(test.ops[0]))
        if left and right and words:
            candidate = f"{left}_{words}_{right}"
            if len(candidate) <= _MAX_HINT:
                return candidate
    return "cond"
