#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Runs the end-to-end tests (tests/e2e/test_*.py) and ends with
"N passed, N failed" (", N skipped" when any was). Arguments select test name
patterns (unittest -k). A test that cannot run here calls self.skipTest(REASON)
(REASON says what is missing and how to get it); each skip is listed before the
summary as "ok - TEST # SKIP REASON", for tests/run.sh to collect."""
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


class Result(unittest.TextTestResult):
    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        self.stream.write(f"   ({time.monotonic() - self._t0:.1f}s)\n")
        self.stream.flush()


def main():
    loader = unittest.TestLoader()
    patterns = sys.argv[1:]
    if patterns:
        loader.testNamePatterns = [f"*{p}*" for p in patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=Result, stream=sys.stdout)
    res = runner.run(suite)
    bad = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    good = res.testsRun - bad - len(res.skipped)
    for test, reason in res.skipped:
        print(f"ok - {test.id()} # SKIP {' '.join(reason.split())}")
    skipped = f", {len(res.skipped)} skipped" if res.skipped else ""
    print(f"e2e: {good} passed, {bad} failed{skipped}")
    sys.exit(0 if bad == 0 and res.testsRun > 0 else 1)


if __name__ == "__main__":
    main()
