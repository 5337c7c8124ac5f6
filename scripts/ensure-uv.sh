# Sourced by the other scripts: makes `uv` available, installing it with pip if missing.
# pip's and uv's own installers put it in ~/.local/bin, which is not always on PATH.
if ! command -v uv >/dev/null 2>&1 && [ -x "$HOME/.local/bin/uv" ]; then
    export PATH="$HOME/.local/bin:$PATH"
fi
if ! command -v uv >/dev/null 2>&1; then
    if ! python3 -m uv --version >/dev/null 2>&1; then
        echo "fitcoach: installing uv with pip (one time)..." >&2
        python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
    fi
    uv() { python3 -m uv "$@"; }
fi
