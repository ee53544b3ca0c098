-- query
SELECT id FROM project_logs('p') WHERE output MATCH 'timeout' OR search('refund')
-- duckdb
SELECT "id", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete) AND ("_pagination_key" IN (SELECT UNNEST(CAST($1 AS BIGINT[]))) OR "_pagination_key" IN (SELECT UNNEST(CAST($2 AS BIGINT[])))) ORDER BY "_pagination_key" DESC LIMIT 100
-- duckdb params
[[11, 12], [11, 12]]
-- clickhouse
SELECT "id", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete) AND ("_pagination_key" IN (11, 12) OR "_pagination_key" IN (11, 12)) ORDER BY "_pagination_key" DESC LIMIT 100 SETTINGS prefer_column_name_to_alias = 1
