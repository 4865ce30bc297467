# Shared set-up for scripts/serve and scripts/test; sourced, not run.
# Creates the virtual environment, installs the project and, for the demo,
# generates local secrets once. Safe to run again: it only does what is missing.

set -euo pipefail
# Everything the scripts and the processes they start write (database, packets,
# demo mail, logs, secrets, .venv, collected static files) is this user's only:
# files 0600, directories 0700. The application serves its static files itself
# (WhiteNoise, same user), so nothing needs to be readable by another account.
umask 077
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
mkdir -p "$ROOT/var"
# A checkout from before the mask may hold 0644 files under var/: close the door on them.
chmod go-rwx "$ROOT/var"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[1;33m!!! %s\033[0m\n' "$*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  # apt_install PACKAGE...: install Debian packages when running as root.
  if ! is_root || ! command -v apt-get >/dev/null; then
    return 1
  fi
  if [ ! -f "$ROOT/var/.apt-updated" ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && touch "$ROOT/var/.apt-updated"
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

find_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$candidate"; return 0
    fi
  done
  apt_install python3.11 python3.11-venv >/dev/null && echo python3.11 && return 0
  echo "safepassage needs Python 3.11" >&2; return 1
}

ensure_venv() {
  # ensure_venv EXTRAS: install the project (with e.g. "dev" extras) into .venv.
  local extras="$1" want stamp
  if [ ! -x "$PY" ]; then
    local python; python="$(find_python)"
    say "creating virtual environment in .venv"
    "$python" -m venv "$VENV" 2>/dev/null || { apt_install python3.11-venv; "$python" -m venv "$VENV"; }
  fi
  want="$(cat pyproject.toml | sha256sum | cut -c1-16)-$extras"
  stamp="$VENV/.safepassage-installed"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python dependencies ($extras)"
    "$PY" -m pip install -q --upgrade pip >&2
    if [ -n "$extras" ]; then
      "$PY" -m pip install -q -e ".[$extras]" >&2
    else
      "$PY" -m pip install -q -e . >&2
    fi
    echo "$want" > "$stamp"
  fi
  # WeasyPrint (PDFs) needs Pango from the system, and names in any script need fonts.
  # libharfbuzz-subset0 lets WeasyPrint subset the big CJK fonts in C: without it
  # a Korean letter takes tens of seconds and its font carries the time of day.
  if ! "$PY" -c 'import weasyprint' >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null \
    || ! ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset; then
    apt_install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-core fonts-noto-cjk \
      || warn "Pango or the Noto fonts cannot be installed here: PDFs may lack glyphs or fail"
  fi
}

ensure_local_secrets() {
  # Secrets for running on this machine only, generated once into var/local.env.
  local file="$ROOT/var/local.env"
  if [ ! -f "$file" ]; then
    say "generating local secrets in var/local.env"
    (umask 077; "$PY" - > "$file" <<'PYEOF'
import secrets
from cryptography.fernet import Fernet
print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"SIGNER_HASH_KEY={secrets.token_urlsafe(48)}")
print(f"ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
PYEOF
    )
  fi
  set -a; . "$file"; set +a
}
