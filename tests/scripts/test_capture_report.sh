#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Tests for scripts/capture_report.py, the report of scripts/capture.sh, on
# saved tshark output: no root, no tshark, no network. The tests are in
# test_capture_report.py (Python's unittest); its output ends, as every
# script test's does, with "N passed, N failed".
exec python3 "$(dirname "${BASH_SOURCE[0]}")/test_capture_report.py" "$@"
