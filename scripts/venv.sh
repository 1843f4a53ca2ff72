# Sourced by scripts/test and scripts/compose-smoke from the repository's top: .venv with the
# project and its test tools, (re)installed only when what is pinned changed since the last time.
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.installed 2>/dev/null)" != "$wanted" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -c constraints.txt -e '.[test]'
    echo "$wanted" > .venv/.installed
fi
