"""A generated family of programs: every nesting of ``if``, ``for``, ``while`` and
``while True`` up to a depth, with a ``break``, ``continue`` or ``return`` at every
depth (and a statement after it that never runs).

Each program is ``f(x, c)``: ``x`` an array that is differentiated, ``c`` a number
whose sign picks branches. Conditions read loop counters and ``c``, never ``x``,
so finite differences never cross a branch.
"""
import itertools

CONSTRUCTS = ("if", "for", "while", "while_true")
JUMPS = ("break", "continue", "return")


def family(max_depth):
    """``(name, source)`` of every program of the family up to ``max_depth`` nested constructs."""
    programs = []
    for depth in range(1, max_depth + 1):
        for levels in itertools.product(CONSTRUCTS, repeat=depth):
            for jump in JUMPS:
                for jump_depth in range(depth + 1):
                    if jump != "return" and not _in_loop(levels[:jump_depth]):
                        continue
                    name = "_".join(levels + (jump, str(jump_depth)))
                    programs.append((name, _Writer(levels, jump, jump_depth).program(name)))
    return programs


def _in_loop(levels):
    return any(level != "if" for level in levels)


class _Writer:
    def __init__(self, levels, jump, jump_depth):
        self.levels, self.jump, self.jump_depth = levels, jump, jump_depth
        self.lines = []

    def program(self, name):
        self.line(0, f"def {name}(x, c):")
        self.line(1, "z = x * 1.0")
        self.body(0, 1, counters=())
        self.line(1, "return np.sum(z ** 2)")
        return "\n".join(self.lines) + "\n"

    def line(self, indent, text):
        self.lines.append("    " * indent + text)

    def body(self, level, indent, counters):
        self.line(indent, f"z = z * {1.0 + 0.1 * level:.1f} + np.sin(z) * 0.5")
        if level == self.jump_depth:
            self.jump_statement(indent, counters)
        if level < len(self.levels):
            self.construct(self.levels[level], level, indent, counters)
        self.line(indent, f"z = np.tanh(z) * {1.2 + 0.1 * level:.1f}")

    def jump_statement(self, indent, counters):
        self.line(indent, f"if {counters[-1]} == 1:" if counters else "if c > 0:")
        self.line(indent + 1, "z = z * 0.7")
        self.line(indent + 1, "return np.sum(z) * 3.0" if self.jump == "return" else self.jump)
        self.line(indent + 1, "z = np.minimum(z, -0.15)")  # never runs

    def construct(self, kind, level, indent, counters):
        counter = f"i{level}" if kind == "for" else f"n{level}"
        if kind == "if":
            self.line(indent, f"if {counters[-1]} % 2 == 0:" if counters else "if c > 0:")
            self.body(level + 1, indent + 1, counters)
            self.line(indent, "else:")
            self.line(indent + 1, "z = z * 0.9 - x")
            return
        if kind == "for":
            self.line(indent, f"for {counter} in range(3):")
        else:
            self.line(indent, f"{counter} = 0")
            self.line(indent, "while True:" if kind == "while_true" else f"while {counter} < 3:")
            self.line(indent + 1, f"{counter} = {counter} + 1")
            if kind == "while_true":
                self.line(indent + 1, f"if {counter} > 3:")
                self.line(indent + 2, "break")
        self.body(level + 1, indent + 1, counters + (counter,))


def sequential_jumps(count, jump):
    """``(name, source)`` of a loop whose body holds ``count`` ifs in a row, each of which
    jumps on one of its inner paths only (a test of how the lowered code grows)."""
    name = f"sequential_{jump}_{count}"
    lines = [f"def {name}(x, c):", "    y = x * 1.0", "    for i in range(5):"]
    for k in range(count):
        lines += [f"        y = np.sin(y) * {1.0 + 0.1 * k:.1f}",
                  f"        if i > {k % 3}:",
                  f"            if c > {k}:",
                  "                " + ("return np.sum(y) * 2.0" if jump == "return" else jump),
                  "            y = y * 0.9"]
    lines.append("    return np.sum(y)")
    return name, "\n".join(lines) + "\n"
