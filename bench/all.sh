#!/usr/bin/env bash
# `make bench`: bench/run.py on SQLite and on PostgreSQL, each with one and two web processes.
# Starts PostgreSQL and Redis when they are not running; each PostgreSQL run gets a new database.
# Extra arguments go to every bench/run.py (e.g. --duration 10).
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/services.sh
python=.venv/bin/python
for workers in 1 2; do
  echo "== SQLite, --workers $workers"
  env -u DATABASE_URL -u REDIS_URL "$python" bench/run.py --workers "$workers" "$@"
done
ensure_postgres
ensure_redis
db="steady_bench_$$"
trap 'psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" || true' EXIT
for workers in 1 2; do
  echo "== PostgreSQL, --workers $workers"
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" REDIS_URL="redis://127.0.0.1:6379/14" \
    "$python" bench/run.py --workers "$workers" "$@"
done
