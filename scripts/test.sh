#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (unit, golden, real NGINX integration, the
# Kubernetes mode against the in-test API server with the real kubectl), then the quick fault
# suite (scripts/faults.sh). Arguments go to `swift test` (e.g. --filter X), and then only that
# runs; TOLLGATE_SKIP_FAULTS=1 skips the fault suite.
#
# Two `swift test` runs: the suites that run the Kubernetes client and the API server double
# inside the test process first, on their own. Swift Testing runs every test on the cooperative
# thread pool (two threads on two cores), and the process-driving suites block their thread
# while they wait for child processes; alongside them, in-process async tests can be starved of
# threads for tens of seconds and time out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubectl is not on PATH: the Kubernetes-mode tests drive the in-test API server with the real kubectl" >&2
  exit 2
fi
swift build --build-tests
if [ $# -gt 0 ]; then
  exec swift test "$@"
fi
in_process='KubeAPIServerDoubleTests|KubeClientTests|KubeInformerTests|KubeLeaderElectionTests|KubeConfigTests|KubeWireTests|KubeTestSupportTests'
swift test --skip-build --filter "$in_process"
swift test --skip-build --skip "$in_process"
if [ "${TOLLGATE_SKIP_FAULTS:-0}" != "1" ]; then
  TOLLGATE_BIN="$(swift build --show-bin-path)/tollgate" scripts/faults.sh
fi
