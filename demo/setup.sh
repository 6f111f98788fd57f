#!/usr/bin/env bash
# Slide 11: start the demo environment.
#
#   demo/setup.sh [demo flags]         the whole demo in the background: Temporal dev server (Web UI
#                                      on :8233), simulated cluster, operator, demo apps and policies
#                                      (`kubeskippy demo --watch`); log and pid under .kubeskippy/
#   demo/setup.sh --stop               stop it (the same as Ctrl-C on `npm run demo -- --watch`)
#   demo/setup.sh --kubeconfig PATH    a real cluster: install the CRDs, demo apps and policies
#                                      there, and print how to run the operator against it
#       [--install-operator]           also install the operator in the cluster (deploy/operator)
#       [--temporal-address HOST:PORT] the Temporal frontend it uses (its ConfigMap)
#       [--image REF]                  the operator image you pushed (docker build -t REF .)
#
# Then watch it with demo/monitor.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.kubeskippy
pidfile=$state/demo.pid
log=$state/demo.log
policies=(memory-leak-healing crashloop-healing cpu-spike-healing protected-critical dryrun-flaky manual-approval ai-analysis)

running() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-}" in
  --stop)
    if running; then
      kill -INT "$(cat "$pidfile")"
      echo "stopping the demo (pid $(cat "$pidfile")); see $log"
    else
      echo "the demo is not running"
    fi
    rm -f "$pidfile"
    exit 0
    ;;
  --kubeconfig)
    kc=${2:?--kubeconfig needs a path}
    shift 2
    install=0 temporal='' image=''
    while (($#)); do
      case $1 in
        --install-operator) install=1 ;;
        --temporal-address) temporal=${2:?--temporal-address needs HOST:PORT}; shift ;;
        --image) image=${2:?--image needs an image reference}; shift ;;
        *) echo "unknown option $1 (with --kubeconfig: --install-operator, --temporal-address, --image)" >&2; exit 2 ;;
      esac
      shift
    done
    k() { kubectl --kubeconfig "$kc" "$@"; }
    k apply --server-side -f deploy/crds/
    k wait --for condition=established --timeout=60s crd/healingpolicies.kubeskippy.io crd/healingactions.kubeskippy.io
    k apply -f demo/apps/namespace.yaml
    for f in demo/apps/*.yaml; do k apply -f "$f"; done
    for p in "${policies[@]}"; do k apply -f "demo/policies/$p.yaml"; done
    ns=kubeskippy-system
    if ((install)); then
      # The CRDs are in already; deploy/operator is the rest of `kubectl apply -k deploy/`.
      # --force-conflicts: a rerun takes back the image and address set below, then sets them again.
      k apply --server-side --force-conflicts -k deploy/operator
      if [[ -n $temporal ]]; then
        k -n $ns patch configmap kubeskippy-config --type merge -p "{\"data\":{\"TEMPORAL_ADDRESS\":\"$temporal\"}}"
      fi
      if [[ -n $image ]]; then k -n $ns set image deployment/kubeskippy-operator "operator=$image"; fi
      k -n $ns rollout restart deployment/kubeskippy-operator
      cat <<TEXT

Installed the CRDs, the demo apps, the policies and the operator (namespace $ns) into the
cluster of $kc. The operator starts once its image can be pulled and Temporal answers at
$(k -n $ns get configmap kubeskippy-config -o jsonpath='{.data.TEMPORAL_ADDRESS}'):

  kubectl --kubeconfig $kc -n $ns rollout status deployment/kubeskippy-operator
  kubectl --kubeconfig $kc -n $ns logs deployment/kubeskippy-operator

(ai-analysis asks Ollama when the ConfigMap kubeskippy-config has OLLAMA_HOST; without it that
policy's rule acts alone and the HealingAction records AiNotConfigured.)

and watch:  demo/monitor.sh --kubeconfig $kc --temporal-address HOST:PORT   (Temporal as you reach it)
(On a real cluster the apps really leak, crash and spin only as far as their images do.)
TEXT
      exit 0
    fi
    cat <<TEXT

Installed the CRDs, the demo apps and the policies into the cluster of $kc.
Now run the operator against it (with a Temporal server; \`node bin/kubeskippy.js dev-server\` starts one):

  node bin/kubeskippy.js operator --kubeconfig $kc --temporal-address 127.0.0.1:7233

(ai-analysis asks Ollama when the operator has OLLAMA_HOST, e.g. OLLAMA_HOST=http://127.0.0.1:11434;
without it that policy's rule acts alone and the HealingAction records AiNotConfigured.)

or install it in the cluster (an image built from the Dockerfile and pushed where the cluster
can pull it; Temporal reachable from the pods). Either rerun this script with
--install-operator --temporal-address HOST:PORT --image REGISTRY/kubeskippy:TAG, or:

  kubectl --kubeconfig $kc apply --server-side -k deploy/
  kubectl --kubeconfig $kc -n $ns patch configmap kubeskippy-config --type merge \\
    -p '{"data":{"TEMPORAL_ADDRESS":"HOST:7233"}}'
  kubectl --kubeconfig $kc -n $ns set image deployment/kubeskippy-operator operator=REGISTRY/kubeskippy:TAG
  kubectl --kubeconfig $kc -n $ns rollout restart deployment/kubeskippy-operator

and watch:  demo/monitor.sh --kubeconfig $kc --temporal-address 127.0.0.1:7233
(On a real cluster the apps really leak, crash and spin only as far as their images do.)
TEXT
    exit 0
    ;;
esac

if running; then
  echo "the demo already runs (pid $(cat "$pidfile")); watch it with demo/monitor.sh, stop it with demo/setup.sh --stop"
  exit 0
fi
mkdir -p "$state"
nohup node bin/kubeskippy.js demo --watch "$@" >"$log" 2>&1 &
echo $! >"$pidfile"
echo "starting the demo in the background (pid $!), log in $log"
# The first run may build the temporal CLI (minutes): show progress until the apps are deployed.
shown=0
until grep -q 'kubeskippy demo: ready in' "$log" 2>/dev/null; do
  if ! running; then
    echo "the demo did not start:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  lines=$(grep -c '^kubeskippy' "$log" 2>/dev/null || true)
  if ((lines > shown)); then
    grep '^kubeskippy' "$log" | tail -n +$((shown + 1))
    shown=$lines
  fi
  sleep 1
done
grep '^kubeskippy' "$log" | tail -n +$((shown + 1))
sed -n '/^Temporal Web UI/,/^operator log/p' "$log"
echo
echo "watch it:  demo/monitor.sh        stop it:  demo/setup.sh --stop"
