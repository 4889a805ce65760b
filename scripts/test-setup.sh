#!/usr/bin/env bash
# Everything the test suite needs, on a machine that has only Python and Debian.
#
# Run by the README's test command (and so by CI): `bash scripts/test-setup.sh`. It installs, into
# the Python that `python` (else `python3`) runs, i.e. the active venv if there is one:
#   * the Debian packages below that are missing (apt-get update first, only when one is missing);
#   * the npm packages below that are missing (global install, exact versions);
#   * bagsmith itself (editable, with the extras below) and the extra Python requirements below,
#     all under constraints.txt, so the resolver never backtracks and every machine gets the same
#     versions.
# Run it again at will: with everything in place it only checks (a few seconds).
#
# Adding a dependency: put it in ONE of the lists below (one a line, with why), and for Python
# packages also in pyproject.toml (a runtime dependency or the test extra) and constraints.txt
# (regenerate it: `python scripts/gen_constraints.py > constraints.txt`, see docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# --- Debian packages the tests need ---------------------------------------------------------------
APT_PACKAGES=(
  libxml2-utils    # xmllint: an independent XSD check of the METS/DC we write
  openssh-server   # sshd: SFTP deposit tests
  postgresql       # the SWORD test server's database
  chromium         # report tests drive a headless browser...
  chromium-driver  # ...through chromedriver
  fonts-dejavu-core  # ...with a known font
  zip              # Info-ZIP zip 3.0: zips with UTF-8 names and no UTF-8 flag (archive tests)
)

# --- npm packages the tests need (name@exact-version; installed with `npm install -g`) ----------
NPM_PACKAGES=(
  azurite@3.37.0   # Azure Blob Storage server (azurite-blob): az:// deposit tests
)

# --- Python: bagsmith's extras, and requirements outside pyproject.toml ---------------------------
PIP_VERSION="26.3"  # the installer itself (see below)
PIP_EXTRAS="test"
PIP_REQUIREMENTS=(
  'swh-deposit[server]==3.0.1'  # the SWORD v2 test server (Software Heritage); heavy, so not an extra
)

# --- pywb: the replay oracle of the capture tests, in a virtual environment of its own -------------
# pywb pins old versions of packages the project uses (cryptography, redis, Werkzeug), so it does
# not share the test interpreter; tests/capture_helpers.py looks for it here.
PYWB_SPEC='pywb==2.10.0'
PYWB_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/bagsmith-test/pywb-2.10.0"

# -------------------------------------------------------------------------------------------------
say() { printf 'test-setup: %s\n' "$*" >&2; }

if command -v python >/dev/null 2>&1; then PY=python; else PY=python3; fi

# Debian packages (nodejs and npm join when npm packages are wanted and npm is missing).
if ((${#NPM_PACKAGES[@]})) && ! command -v npm >/dev/null 2>&1; then
  APT_PACKAGES+=(nodejs npm)
fi
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing Debian packages, and no apt-get to install them: ${missing[*]}"
    exit 1
  fi
  SUDO=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=(sudo)
    else
      say "missing Debian packages ${missing[*]}: run as root (or install sudo)"
      exit 1
    fi
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, exact versions, only those not yet installed at that version.
for spec in "${NPM_PACKAGES[@]}"; do
  if ! npm ls -g --depth=0 "$spec" >/dev/null 2>&1; then
    say "installing npm package $spec"
    npm install -g --no-fund --no-audit --loglevel=error "$spec" >/dev/null
  fi
done

# Python packages: bagsmith (editable) with its extras and the extra requirements, constrained.
# Skipped when everything is already installed at the pinned versions (the check reads the same
# lists; it needs `packaging`, so on a bare interpreter it fails and pip runs).
if ! "$PY" scripts/gen_constraints.py --check 2>/dev/null; then
  # pip itself first, at a known version: the pip a new venv ships (23.2 with Python 3.11.7)
  # does not normalise extra names, so it skips lxml[html_clean] (trafilatura needs it)
  if [[ "$("$PY" -m pip --version | cut -d' ' -f2)" != "$PIP_VERSION" ]]; then
    "$PY" -m pip install -q --disable-pip-version-check "pip==$PIP_VERSION"
  fi
  say "installing Python packages (constraints.txt)"
  "$PY" -m pip install -q --disable-pip-version-check -c constraints.txt \
    -e ".[${PIP_EXTRAS}]" "${PIP_REQUIREMENTS[@]}"
  "$PY" scripts/gen_constraints.py --check || {
    say "the environment still differs from constraints.txt (see above)"
    exit 1
  }
fi
# pywb in its own venv (see above), once.
if [[ ! -x "$PYWB_VENV/bin/wayback" ]]; then
  say "installing $PYWB_SPEC into $PYWB_VENV"
  rm -rf "$PYWB_VENV"
  "$PY" -m venv "$PYWB_VENV"
  "$PYWB_VENV/bin/python" -m pip install -q --disable-pip-version-check "$PYWB_SPEC"
fi

say "ready ($("$PY" --version), $("$PY" -c 'import sys; print(sys.prefix)'))"
