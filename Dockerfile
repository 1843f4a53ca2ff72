# One image for all six services (intake, orders, allocator, notifier, the console and the
# buyers' site);
# docker-compose.yml picks the service with `command:`.
FROM python:3.11.13-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A fixed uid so volume ownership is predictable; no login shell, no home clutter.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app

# pg_dump, pg_restore and psql for `plut backup` and `plut restore` (Debian bookworm's: Postgres
# 15, the major version of docker-compose.yml's Postgres); and where plut writes its backups in
# compose (the `backups` volume takes this directory's owner when first made).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o app -g app -m 700 /backups

WORKDIR /app

# Dependencies only, read from pyproject.toml, and what builds the package (its build-system
# requires): this layer is rebuilt only when the dependency list or the pinned closure
# (constraints.txt) changes, not on every code edit.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb')); print('\n'.join(p['project']['dependencies'] + p['build-system']['requires']))" > /tmp/requirements.txt \
 && pip install --no-cache-dir -c constraints.txt -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The code, then the package itself (migrations and templates are package data). Nothing is
# fetched here: no dependencies, and the build backend installed above.
COPY shared ./shared
COPY services ./services
COPY tools ./tools
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
 && rm -rf build ./*.egg-info

# Code stays root-owned: the services only read it.
USER app

EXPOSE 8081 8082 8083 8084 8085 8086
# Default only; compose runs `python -m services.<name>` for each service.
CMD ["python", "-m", "services.intake"]
