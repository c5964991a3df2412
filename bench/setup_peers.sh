#!/usr/bin/env bash
# Create the peers' virtual environments for the benchmarks: bench/.venv-<peer>.
#
#   bash bench/setup_peers.sh                 # all peers
#   bash bench/setup_peers.sh evidently       # one or more of: evidently nannyml alibi mlserver frouros
#
# Idempotent: a venv whose stamp matches its requirements file is left alone. Delete
# bench/.venv-<peer> (or edit its requirements file) to rebuild it.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
PEERS=("$@")
[ ${#PEERS[@]} -eq 0 ] && PEERS=(evidently nannyml alibi mlserver frouros)

install_peer() {
    local peer="$1"
    local req="requirements-${peer}.txt"
    local venv=".venv-${peer}"
    local stamp="${venv}/.bench-installed"
    [ -f "$req" ] || { echo "unknown peer '${peer}': expected one of evidently nannyml alibi mlserver frouros" >&2; return 2; }
    if [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then
        echo "${peer}: ${venv} is up to date"
        return 0
    fi
    echo "${peer}: installing into ${venv}"
    [ -x "${venv}/bin/python" ] || "$PYTHON" -m venv "$venv"
    "${venv}/bin/python" -m pip install --quiet --upgrade "pip>=24"
    if [ "$peer" = alibi ]; then
        # torch first, pinned exactly: this CPU wheel is on local disk; anything else pulls CUDA.
        "${venv}/bin/python" -m pip install --quiet "torch==2.13.0"
    fi
    "${venv}/bin/python" -m pip install --quiet -r "$req"
    if [ "$peer" = nannyml ]; then
        # No usage telemetry even while checking the install.
        NML_DISABLE_USAGE_LOGGING=1 "${venv}/bin/python" -c "import nannyml"
    else
        local module="evidently"
        [ "$peer" = alibi ] && module="alibi_detect.cd"
        [ "$peer" = mlserver ] && module="mlserver, mlserver_sklearn"
        # frouros.callbacks first: importing frouros.detectors first is a circular ImportError.
        [ "$peer" = frouros ] && module="frouros.callbacks, frouros.detectors"
        "${venv}/bin/python" -c "import ${module}"
    fi
    cp "$req" "$stamp"
    echo "${peer}: ready"
}

for peer in "${PEERS[@]}"; do
    install_peer "$peer"
done
