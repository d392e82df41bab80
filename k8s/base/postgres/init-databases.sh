# Run (sourced) by the postgres image's entrypoint on the very first start
# only, when the data directory is empty. Creates one role and one database per
# service, the role owning its database, with the passwords of the Secret
# herstel-database (mounted at /etc/herstel/database). Later password changes
# are made with ALTER ROLE (docs/operations.md).
for herstel_service in case mandate escalation reporting; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set=role="herstel_${herstel_service}" \
    --set=password="$(cat "/etc/herstel/database/${herstel_service}-password")" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
