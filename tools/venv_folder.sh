# Sourced by floor_check.sh and drift_check.sh: sets $venv to the folder named by their first argument
# here (a folder to keep, from FLOOR_VENV or DRIFT_VENV), or to one in a temporary folder that is
# removed when the script exits.
venv="${1:-}"
if [ -z "$venv" ]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    venv="$tmp/venv"
fi
