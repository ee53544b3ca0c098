-- query
select: id | from: experiment('e') | sample: 10%
-- duckdb
SELECT "id", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'experiment' AND "object_id" IN ('e') AND (_superseded_by IS NULL AND NOT _object_delete) AND HASH("id") % 10000 < 1000 ORDER BY "_pagination_key" DESC LIMIT 100
-- clickhouse
SELECT "id", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'experiment' AND "object_id" IN ('e') AND (_superseded_by IS NULL AND NOT _object_delete) AND cityHash64("id") % 10000 < 1000 ORDER BY "_pagination_key" DESC LIMIT 100 SETTINGS prefer_column_name_to_alias = 1
