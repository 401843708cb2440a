"""The global names of a generated module: the user's, and srcad's helpers."""
import types


class Namespace:
    """Maps identifiers of generated code to objects, never binding one name twice.

    ``objects`` is the very dict the generated functions run with as globals,
    so :meth:`refresh` makes them see the current values of the user's globals.
    """

    def __init__(self, names):
        self.names = names
        self.objects = {}
        self._by_id = {}
        self._user_values = {}

    def bind(self, preferred, obj):
        """The identifier generated code should use for ``obj`` (``preferred`` if free)."""
        if self.objects.get(preferred, _MISSING) is obj:
            return preferred
        known = self._by_id.get(id(obj))
        if known is not None:
            return known
        if preferred in self.objects or preferred in self.names.taken:
            hint = obj.__name__.replace(".", "_") if isinstance(obj, types.ModuleType) else preferred
            preferred = self.names.fresh(hint)
        return self._store(preferred, obj)

    def bind_user(self, identifier, obj, lookup):
        """A global the user's own code reads: kept verbatim, re-read by :meth:`refresh`."""
        if not callable(obj) and not isinstance(obj, types.ModuleType):
            self._user_values[identifier] = lookup
        return self._store(identifier, obj)

    def refresh(self):
        """Re-read the user's global data (numbers, arrays) before a call."""
        for identifier, lookup in self._user_values.items():
            self.objects[identifier] = lookup(identifier)

    def _store(self, identifier, obj):
        self.names.reserve(identifier)
        self.objects[identifier] = obj
        self._by_id.setdefault(id(obj), identifier)
        return identifier


_MISSING = object()
