from . import FUZZ_STATS


def pytest_terminal_summary(terminalreporter):
    """How much the fuzzing did: operations, cases per role, the status codes answered."""
    if not FUZZ_STATS["cases"]:
        return
    cases = FUZZ_STATS["cases"]
    terminalreporter.section("API fuzzing (schemathesis)")
    terminalreporter.write_line(
        f"{FUZZ_STATS['operations']} operations fuzzed as {len(cases)} roles: "
        f"{sum(cases.values())} cases ("
        + ", ".join(f"{role} {n}" for role, n in cases.items())
        + "), each replayed by an outsider for organization-scoped operations"
    )
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(FUZZ_STATS["statuses"].items()))
    terminalreporter.write_line(f"status codes answered to members: {statuses}")
    for line in sorted(set(FUZZ_STATS["not generated"])):
        terminalreporter.write_line(f"not generated: {line}")
