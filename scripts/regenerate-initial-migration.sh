#!/usr/bin/env bash
# Throw away migrations/versions/* and generate one "initial schema" migration from the current
# models, against an empty temporary SQLite database. Then prove it: upgrade a fresh database,
# check that Alembic sees no drift, downgrade to base.
# Only for the days before the first release: once a database in the wild carries a revision,
# add new migrations with `make migration m="..."` instead.
set -euo pipefail
cd "$(dirname "$0")/.."

FLASK=.venv/bin/flask
[ -x "$FLASK" ] || { echo "no .venv: run 'make install' first" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export FLASK_APP=wsgi
export LEARNCOM_INSTANCE_PATH="$tmp/instance"
export LEARNCOM_SECRET_KEY=regenerate-initial-migration
export LEARNCOM_SEARCH_INDEX_DIR="$tmp/search-index"
export LEARNCOM_DATABASE_URL="sqlite:///$tmp/empty.db"

rm -f migrations/versions/*.py
rm -rf migrations/versions/__pycache__
"$FLASK" db migrate -m "initial schema" --rev-id 0001

generated=(migrations/versions/*.py)
if [ "${#generated[@]}" -ne 1 ] || [ ! -f "${generated[0]}" ]; then
    echo "expected exactly one generated migration, found: ${generated[*]}" >&2
    exit 1
fi
# A migration must not import the application: its code changes, the migration must not.
if grep -nE '^(from|import) ' "${generated[0]}" | grep -vE '^[0-9]+:(from alembic import op|import sqlalchemy as sa)$'; then
    echo "${generated[0]} imports something besides alembic.op and sqlalchemy" >&2
    exit 1
fi
if grep -n 'learncom' "${generated[0]}"; then
    echo "${generated[0]} refers to application code" >&2
    exit 1
fi

# Prove it on a second empty database.
export LEARNCOM_DATABASE_URL="sqlite:///$tmp/proof.db"
"$FLASK" db upgrade
"$FLASK" db check
"$FLASK" db downgrade base
echo "regenerated ${generated[0]}"
