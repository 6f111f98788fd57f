#!/usr/bin/env bash
# Slide 11: watch healing happen. The demo's live view (apps, pods, memory / CPU / restarts, and
# each HealingAction through its phases) for whatever cluster it points at; it changes nothing.
#
#   demo/monitor.sh                                    the demo started by demo/setup.sh
#   demo/monitor.sh --kubeconfig PATH [--temporal-address HOST:PORT] [-n NAMESPACE]
set -euo pipefail
cd "$(dirname "$0")/.."
# Pointed at nothing: the demo from setup.sh, with its Temporal server for the policies' refusals.
if [[ $# -eq 0 && -f .kubeskippy/demo.pid ]] && kill -0 "$(cat .kubeskippy/demo.pid)" 2>/dev/null; then
  set -- --kubeconfig .kubeskippy/sim.kubeconfig --temporal-address 127.0.0.1:7233
fi
exec node bin/kubeskippy.js demo monitor "$@"
