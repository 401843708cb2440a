"""The global names of generated code: the user's, and srcad's helpers.

All functions generated for one transform (the function and the user functions
it calls) run with one globals dict, so they can call each other by name.
"""
import types


HOMES = "__srcad_homes__"


def home_of(func, identifier):
    """``(module, name there)``: where the global ``identifier`` that ``func`` reads comes
    from, for the imports of generated source (generated code says where its own came from)."""
    namespace = getattr(func, "__globals__", None) or {}
    if HOMES in namespace:
        return namespace[HOMES].get(identifier)
    module = getattr(func, "__module__", None)
    return (module, identifier) if module else None


class Globals:
    """The globals dict shared by a program's generated functions, and who owns which name."""

    def __init__(self):
        self.objects = {}
        self.by_id = {}
        self.user_values = {}
        self.user_functions = {}
        self.local_names = set()
        # identifier -> (module name, name there) of a user global, for imports; kept in the
        # globals too, so that code reading this generated code back finds where they came from
        self.homes = {}
        self.objects[HOMES] = self.homes

    def refresh(self):
        """Re-read the user's global data (numbers, arrays) before a call."""
        for identifier, lookup in self.user_values.items():
            self.objects[identifier] = lookup(identifier)

    def stale(self):
        """Whether a global name of the user's that the code calls (a function, a module) names
        another object now than when the code was generated."""
        for identifier, lookup in self.user_functions.items():
            try:
                current = lookup(identifier)
            except (KeyError, AttributeError, NameError):
                return True
            if current is not self.objects.get(identifier):
                return True
        return False


class Namespace:
    """One generated function's view of :class:`Globals`: binds names without clashing
    with that function's locals (``names``) or with any other binding."""

    def __init__(self, names, shared=None):
        self.names = names
        self.shared = shared or Globals()
        self.shared.local_names |= names.taken

    @property
    def objects(self):
        return self.shared.objects

    def taken(self, identifier):
        return identifier in self.shared.objects or identifier in self.names.taken \
            or identifier in self.shared.local_names

    def bind(self, preferred, obj):
        """The identifier generated code should use for ``obj`` (``preferred`` if free)."""
        if self.shared.objects.get(preferred, _MISSING) is obj:
            return preferred
        known = self.shared.by_id.get(id(obj))
        if known is not None and self.shared.objects.get(known) is obj and known not in self.names.taken:
            return known
        if self.taken(preferred):
            hint = obj.__name__.replace(".", "_") if isinstance(obj, types.ModuleType) else preferred
            preferred = self.fresh(hint)
        return self._store(preferred, obj)

    def fresh(self, hint):
        """A global identifier no function of the program uses."""
        candidate, counter = hint, 2
        while self.taken(candidate):
            candidate = f"{hint}{counter}" if not hint[-1].isdigit() else f"{hint}_{counter}"
            counter += 1
        self.names.reserve(candidate)
        self.shared.local_names.add(candidate)
        return candidate

    def bind_user(self, identifier, obj, lookup, home=None):
        """A global the user's code reads: kept verbatim when free (re-read by ``refresh``);
        returns the identifier to use, which differs when another function took it.
        ``home`` is ``(module, name there)``, where the user's code reads it from."""
        original = identifier
        existing = self.shared.objects.get(identifier, _MISSING)
        if existing is not _MISSING and existing is not obj:
            identifier = self.fresh(identifier)
        known = self.shared.user_functions if callable(obj) or isinstance(obj, types.ModuleType) \
            else self.shared.user_values
        known[identifier] = _Reader(lookup, original)
        if home is not None:
            self.shared.homes[identifier] = home
        return self._store(identifier, obj)

    def refresh(self):
        self.shared.refresh()

    def stale(self):
        return self.shared.stale()

    def _store(self, identifier, obj):
        self.names.reserve(identifier)
        self.shared.objects[identifier] = obj
        self.shared.by_id.setdefault(id(obj), identifier)
        return identifier


class _Reader:
    """Reads one user global by its name in the user's module."""

    def __init__(self, lookup, identifier):
        self.lookup = lookup
        self.identifier = identifier

    def __call__(self, _):
        return self.lookup(self.identifier)


_MISSING = object()
