#!/usr/bin/env bash
# Print the path of a Python 3.13 interpreter that can make virtual environments, or say what to
# install and fail. Tried in order: $PYTHON, python3.13, python3, pyenv's 3.13 versions, the usual
# install places. A candidate counts only if it runs (a pyenv shim may refuse) and is 3.13.
set -uo pipefail
WANT="3.13"

works() {
    "$1" -c "import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (${WANT/./, }))" >/dev/null 2>&1
}

candidates() {
    [ -n "${PYTHON:-}" ] && echo "$PYTHON"
    echo "python$WANT"
    echo python3
    local root
    for root in "${PYENV_ROOT:-}" "$HOME/.pyenv" /root/.pyenv; do
        [ -n "$root" ] && ls -d "$root"/versions/"$WANT"*/bin/python"$WANT" 2>/dev/null | sort -rV
    done
    echo "/usr/local/bin/python$WANT"
    echo "/usr/bin/python$WANT"
}

while read -r candidate; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if works "$path"; then
        echo "$path"
        exit 0
    fi
    if [ -n "${PYTHON:-}" ] && [ "$candidate" = "$PYTHON" ]; then
        echo "PYTHON=$PYTHON is not a working Python $WANT with venv; looking elsewhere" >&2
    fi
done < <(candidates)

cat >&2 <<MSG
No Python $WANT found (tried \$PYTHON, python$WANT, python3, pyenv's versions, /usr/local/bin, /usr/bin).
Install it, then run make again:
  Debian 13 / Ubuntu:  apt-get install python3 python3-venv   (Debian 13's python3 is $WANT)
  other Debian/Ubuntu: apt-get install python$WANT python$WANT-venv   (e.g. from the deadsnakes PPA)
  pyenv:               pyenv install $WANT
  macOS (Homebrew):    brew install python@$WANT
or point PYTHON at one: make PYTHON=/path/to/python$WANT test
MSG
exit 1
