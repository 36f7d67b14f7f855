#!/bin/sh
# The role the web app, workers and beat log in as (README, "Database roles"): neither
# superuser nor BYPASSRLS, so PostgreSQL's row-level security applies to everything it runs.
# It owns nothing; `manage.py migrate`, run as the owner (POSTGRES_USER), grants it SELECT,
# INSERT, UPDATE and DELETE on the tables. Run by the postgres image on a new, empty volume
# only; for an existing one run the same CREATE ROLE by hand.
#
# perfhub_system (NOLOGIN) is the role whose members the database's `perfhub.system` setting
# applies to (every organization's rows, perfhub/rls.py). `manage.py migrate` creates it
# too when missing. Never grant it to perfhub_app: the application's cross-tenant reads go
# through SECURITY DEFINER functions owned by the owner, which return ids only.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="${PERFHUB_APP_PASSWORD:?set PERFHUB_APP_PASSWORD}" <<'SQL'
CREATE ROLE perfhub_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE
  PASSWORD :'app_password';
CREATE ROLE perfhub_system NOLOGIN;
SQL
