-- query
SELECT id FROM experiment('e1', 'e2')
-- duckdb
SELECT "id", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'experiment' AND "object_id" IN ('e1', 'e2') AND (_superseded_by IS NULL AND NOT _object_delete) ORDER BY "_pagination_key" DESC LIMIT 100
-- clickhouse
SELECT "id", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'experiment' AND "object_id" IN ('e1', 'e2') AND (_superseded_by IS NULL AND NOT _object_delete) ORDER BY "_pagination_key" DESC LIMIT 100 SETTINGS prefer_column_name_to_alias = 1
