-- query
SELECT id FROM dataset('d') TABLESAMPLE (25 ROWS)
-- duckdb
SELECT "id", "_pagination_key" AS "_cursor_0" FROM (SELECT * FROM "rows" WHERE "object_type" = 'dataset' AND "object_id" IN ('d') AND (_superseded_by IS NULL AND NOT _object_delete) ORDER BY RANDOM() ASC LIMIT 25) AS _sample ORDER BY "_pagination_key" DESC LIMIT 100
-- clickhouse
SELECT "id", "_pagination_key" AS "_cursor_0" FROM (SELECT * FROM "rows" WHERE "object_type" = 'dataset' AND "object_id" IN ('d') AND (_superseded_by IS NULL AND NOT _object_delete) ORDER BY rand() ASC LIMIT 25) AS _sample ORDER BY "_pagination_key" DESC LIMIT 100 SETTINGS prefer_column_name_to_alias = 1
