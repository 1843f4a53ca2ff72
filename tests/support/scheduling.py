"""How scripts/test shares the suite out among pytest-xdist workers (`--dist loadscope`, made
here by tests/conftest.py): by module, as xdist's own loadscope does for plain test functions,
but a test class stays with its module (its module's fixtures are the ones it shares) and a
package whose tests share a package-scoped fixture goes whole to one worker.

xdist's `loadgroup` would say the same with marks, but with pytest 9.2 its groups are lost (it
renames the tests' node ids, which pytest no longer reads back: pytest-xdist issue 1386), and
the tests would be spread one by one.
"""

from xdist.scheduler import LoadScopeScheduling

# tests/faults: its world (private Postgres and RabbitMQ, proxies, a stack) is made once per
# worker that runs its tests; on one worker, once in all.
WHOLE_PACKAGES = ("tests/faults/",)


class ModuleScheduling(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return next((p for p in WHOLE_PACKAGES if module.startswith(p)), module)
