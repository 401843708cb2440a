"""The differential fuzzer: random programs of every feature group, checked
against the function itself, finite differences, and srcad's other transforms
(``fuzz/check.py`` lists the checks).

Profiles (environment variable ``SRCAD_FUZZ``): ``ci`` (the default: a fixed,
derandomized set of programs that runs in about a minute) and ``long`` (many
more programs, a new set each run). A failure prints the whole program.

Run as a script to count outcomes per group without stopping at a failure::

    python tests/test_fuzz.py --count 300 [group ...]
"""
import os
import sys
from pathlib import Path

if __name__ == "__main__":  # as a script: this tree's srcad and the tests' helpers
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

import pytest
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st

from fuzz.check import FuzzFailure, Refused, Unstable, check_program
from fuzz.choices import DrawnChoices, SeededChoices
from fuzz.generate import GROUPS, write_program

HVP_SHARE = 4  # one program in HVP_SHARE is also checked with hvp

ENABLED = tuple(GROUPS) + ("mixed",)  # every feature group runs in CI, and programs mixing them

CI_PROGRAMS = 150  # shared by the groups: about a minute on two loaded cores
_QUIET = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=False)
# CI reports a failing program as found (it is printed whole); shrinking it is for manual runs
settings.register_profile("fuzz-ci", max_examples=CI_PROGRAMS // len(ENABLED), derandomize=True,
                          phases=(Phase.explicit, Phase.generate), **_QUIET)
settings.register_profile("fuzz-long", max_examples=400, **_QUIET)
PROFILE = settings.get_profile("fuzz-" + os.environ.get("SRCAD_FUZZ", "ci"))


@st.composite
def programs(draw, group):
    """A random program of feature ``group``."""
    return write_program(DrawnChoices(draw), group)


@pytest.mark.parametrize("group", ENABLED)
@PROFILE
@given(data=st.data())
def test_fuzzed_program(group, data):
    """Random programs of ``group`` pass every check; unstable points are discarded."""
    program = data.draw(programs(group), label="program")
    with_hvp = data.draw(st.integers(0, HVP_SHARE - 1), label="hvp") == 0
    try:
        check_program(program, hvp=with_hvp)
    except Unstable:
        reject()
    except Refused:
        pass  # a write through an alias: srcad may refuse it


def count_outcomes(groups, count, first_seed=0):
    """Run ``count`` programs of each group; print and return the outcomes."""
    from collections import Counter
    totals = {}
    for group in groups:
        outcomes = Counter()
        for seed in range(first_seed, first_seed + count):
            program = write_program(SeededChoices(seed), group)
            try:
                check_program(program, hvp=seed % HVP_SHARE == 0)
                outcomes["right"] += 1
            except Unstable:
                outcomes["unstable (discarded)"] += 1
            except Refused:
                outcomes["refused (allowed)"] += 1
            except FuzzFailure as failure:
                outcomes[failure.kind] += 1
                print(f"\n######## {group} seed {seed}: {failure}", file=sys.stderr)
        totals[group] = outcomes
        print(f"{group:12} " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())), flush=True)
    return totals


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", default=list(ENABLED))
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=0)
    options = parser.parse_args()
    count_outcomes(options.groups, options.count, options.first_seed)
